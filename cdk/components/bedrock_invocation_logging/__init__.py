from cdk.components.bedrock_invocation_logging.construct import (
    BEDROCK_LOG_STREAM,
    LOGGING_ACTIONS,
    ModelInvocationLogging,
)

__all__ = ["BEDROCK_LOG_STREAM", "LOGGING_ACTIONS", "ModelInvocationLogging"]
