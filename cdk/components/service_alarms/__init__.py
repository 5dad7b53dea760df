"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.lazy import lazy_exports
from cdk.components.service_alarms.props import ServiceAlarmThresholds

__getattr__ = lazy_exports(__name__, {"construct": ("MAX_ALARM_METRICS", "ServiceAlarms", "TokenBudget")})

__all__ = ["MAX_ALARM_METRICS", "ServiceAlarmThresholds", "ServiceAlarms", "TokenBudget"]
