"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.agentcore_runtime.props import AgentRuntimeProps, Limits, ToolRule
from cdk.components.lazy import lazy_exports

__getattr__ = lazy_exports(__name__, {"construct": ("AgentRuntime",)})

__all__ = ["AgentRuntime", "AgentRuntimeProps", "Limits", "ToolRule"]
