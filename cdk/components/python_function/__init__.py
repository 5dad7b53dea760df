from cdk.components.python_function.construct import (
    LAMBDA_ARCHITECTURE,
    LAMBDA_RUNTIME,
    LambdaAssetNotBuiltError,
    PythonFunction,
    built_asset,
)
from cdk.components.python_function.environment_size import LAMBDA_ENVIRONMENT_LIMIT_BYTES, estimate_environment_bytes

__all__ = [
    "LAMBDA_ARCHITECTURE",
    "LAMBDA_ENVIRONMENT_LIMIT_BYTES",
    "LAMBDA_RUNTIME",
    "LambdaAssetNotBuiltError",
    "PythonFunction",
    "built_asset",
    "estimate_environment_bytes",
]
