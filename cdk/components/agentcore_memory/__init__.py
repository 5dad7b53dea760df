from cdk.components.agentcore_memory.construct import AgentMemory
from cdk.components.agentcore_memory.props import AgentMemoryProps

__all__ = ["AgentMemory", "AgentMemoryProps"]
