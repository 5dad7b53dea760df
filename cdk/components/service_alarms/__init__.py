from cdk.components.service_alarms.construct import (
    MAX_ALARM_METRICS,
    ServiceAlarms,
    ServiceAlarmThresholds,
    TokenBudget,
)

__all__ = ["MAX_ALARM_METRICS", "ServiceAlarmThresholds", "ServiceAlarms", "TokenBudget"]
