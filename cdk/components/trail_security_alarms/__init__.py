from cdk.components.trail_security_alarms.construct import (
    IAM_POLICY_CHANGES,
    SECURITY_EVENTS,
    SecurityEvent,
    TrailSecurityAlarms,
)

__all__ = ["IAM_POLICY_CHANGES", "SECURITY_EVENTS", "SecurityEvent", "TrailSecurityAlarms"]
