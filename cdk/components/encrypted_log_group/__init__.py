from cdk.components.encrypted_log_group.construct import (
    EncryptedLogGroup,
    LogsEncryptionKey,
    retention_days,
    retry_safe,
)

__all__ = ["EncryptedLogGroup", "LogsEncryptionKey", "retention_days", "retry_safe"]
