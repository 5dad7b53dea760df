"""Typed arguments of :class:`~cdk.components.agentcore_runtime.AgentRuntime` (CDK-free: the config builds them).

The limits and tool rules are the Runtime's own settings types (``lambdas/agent_runtime/agent_runtime/
settings_contract.py``), so each default is stated once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()

# isort: split
from agent_runtime.settings_contract import Limits, Recall, ToolRule  # noqa: E402

#: Bounds of the per-request limits (config keys ``agents.limits.*``).
MAX_STEPS_RANGE = (1, 20)
MAX_TOOL_CALLS_RANGE = (0, 40)
MAX_COST_USD_RANGE = (0.0001, 10.0)
MAX_OUTPUT_TOKENS_RANGE = (64, 8192)
HISTORY_TURNS_RANGE = (0, 50)
#: Model providers whose Bedrock models take Converse tool use (Bedrock user guide, "Supported models and model
#: features": Anthropic Claude 3+ and Amazon Nova among the catalog's models; Titan text has no tool use).
TOOL_USE_MODEL_MARKERS = ("anthropic.claude", "amazon.nova")


@dataclass(frozen=True)
class AgentRuntimeProps:
    model_id: str  # an allow-listed Bedrock model (or profile) id
    price_in_per_1k: float
    price_out_per_1k: float
    max_output_tokens: int = 1024
    history_turns: int = 10
    limits: Limits = field(default_factory=Limits)
    tool_rules: tuple[ToolRule, ...] = ()
    search_tools: tuple[str, ...] = ()  # tools whose results are citable knowledge-base documents
    recall: Recall = field(default_factory=Recall)  # long-term memory recalled per turn (off by default)

