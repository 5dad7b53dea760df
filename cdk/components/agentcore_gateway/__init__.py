"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.agentcore_gateway.props import LambdaToolTarget, ToolPolicy
from cdk.components.lazy import lazy_exports

__getattr__ = lazy_exports(__name__, {"construct": ("ToolGateway", "schema_definition")})

__all__ = ["LambdaToolTarget", "ToolGateway", "ToolPolicy", "schema_definition"]
