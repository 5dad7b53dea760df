from cdk.components.audit_trail.construct import AuditTrail, TrailRetention

__all__ = ["AuditTrail", "TrailRetention"]
