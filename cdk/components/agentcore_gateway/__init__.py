from cdk.components.agentcore_gateway.construct import ToolGateway, schema_definition
from cdk.components.agentcore_gateway.props import LambdaToolTarget

__all__ = ["LambdaToolTarget", "ToolGateway", "schema_definition"]
