"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.agentcore_memory.props import AgentMemoryProps
from cdk.components.lazy import lazy_exports

__getattr__ = lazy_exports(__name__, {"construct": ("AgentMemory",)})

__all__ = ["AgentMemory", "AgentMemoryProps"]
