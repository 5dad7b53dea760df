from cdk.components.service_alarms.construct import ServiceAlarms, ServiceAlarmThresholds, TokenBudget

__all__ = ["ServiceAlarmThresholds", "ServiceAlarms", "TokenBudget"]
