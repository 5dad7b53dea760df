"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.agentcore_gateway.props import (
    ApiKeyCredential,
    LambdaToolTarget,
    OAuthCredential,
    OpenApiToolTarget,
    ToolPolicy,
)
from cdk.components.lazy import lazy_exports

__getattr__ = lazy_exports(__name__, {"construct": ("ToolGateway", "schema_definition")})

__all__ = ["ApiKeyCredential", "LambdaToolTarget", "OAuthCredential", "OpenApiToolTarget", "ToolGateway", "ToolPolicy",
           "schema_definition"]
