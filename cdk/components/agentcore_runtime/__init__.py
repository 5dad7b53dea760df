from cdk.components.agentcore_runtime.construct import AgentRuntime
from cdk.components.agentcore_runtime.props import AgentRuntimeProps, Limits, ToolRule

__all__ = ["AgentRuntime", "AgentRuntimeProps", "Limits", "ToolRule"]
