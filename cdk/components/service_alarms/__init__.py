from cdk.components.service_alarms.construct import (
    MAX_ALARM_METRICS,
    ServiceAlarms,
    TokenBudget,
)
from cdk.components.service_alarms.props import ServiceAlarmThresholds

__all__ = ["MAX_ALARM_METRICS", "ServiceAlarmThresholds", "ServiceAlarms", "TokenBudget"]
