from cdk.components.python_function.construct import (
    LAMBDA_ARCHITECTURE,
    LAMBDA_RUNTIME,
    LambdaAssetNotBuiltError,
    PythonFunction,
    built_asset,
    built_asset_hash,
)
from cdk.components.python_function.environment_size import LAMBDA_ENVIRONMENT_LIMIT_BYTES, estimate_environment_bytes

__all__ = [
    "LAMBDA_ARCHITECTURE",
    "LAMBDA_ENVIRONMENT_LIMIT_BYTES",
    "LAMBDA_RUNTIME",
    "LambdaAssetNotBuiltError",
    "PythonFunction",
    "built_asset",
    "built_asset_hash",
    "estimate_environment_bytes",
]
