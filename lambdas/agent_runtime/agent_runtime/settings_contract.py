"""The Runtime's environment variables: one contract, written by the agents stack and read by ``app.py``.

Standard library only (the stack imports it through ``cdk/runtime_contracts.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

SETTINGS = "AGENT_SETTINGS"
#: CloudWatch metric names the agent emits (EMF) and the agents stack graphs and alarms on.
METRIC_STEPS = "AgentSteps"
METRIC_TOOL_CALLS = "AgentToolCalls"
METRIC_TOOL_FAILURES = "AgentToolFailures"
METRIC_LATENCY = "AgentLatency"
METRIC_TOKENS = "AgentTokens"
METRIC_COST = "AgentEstimatedCost"
METRIC_LIMIT_STOPS = "AgentLimitStops"
METRIC_RUNS = "AgentRuns"
TOOL_DIMENSION = "Tool"
#: Where the Memory's long-term strategies keep their records (the agents stack configures the strategies with
#: these; ``{actorId}`` is the owner's actor id, ``{sessionId}`` the session): summaries per session of an owner,
#: preferences per owner. Recall reads the exact namespace of the caller's actor, never a prefix.
SUMMARY_NAMESPACE = "/summaries/{actorId}/{sessionId}"
PREFERENCE_NAMESPACE = "/preferences/{actorId}"


@dataclass(frozen=True)
class Limits:
    """Per request: a run that reaches one stops with ``limit_exceeded`` naming it."""

    max_steps: int = 6  # model calls
    max_tool_calls: int = 8
    max_seconds: float = 20.0
    max_cost_usd: float = 0.05


@dataclass(frozen=True)
class Recall:
    """Long-term records recalled at the start of a turn: at most ``top_k`` per namespace (``""``: that strategy
    is off), matched against the user's message by the Memory's semantic search (RetrieveMemoryRecords)."""

    summary_namespace: str = ""
    preference_namespace: str = ""
    top_k: int = 5


@dataclass(frozen=True)
class ToolRule:
    """Callers whose id matches one of ``callers`` (fnmatch patterns over the API's caller id:
    ``cognito:<sub>`` or an IAM ARN) may call ``tools`` (names without the Gateway's target prefix)."""

    callers: tuple[str, ...]
    tools: tuple[str, ...]


@dataclass(frozen=True)
class AgentSettings:
    environment: str
    model_id: str
    price_in_per_1k: float
    price_out_per_1k: float
    max_output_tokens: int
    guardrail_id: str  # the guardrail's ARN (what IAM's bedrock:GuardrailIdentifier condition compares)
    guardrail_version: str
    gateway_url: str  # https://<gateway id>.gateway.bedrock-agentcore.<region>.amazonaws.com/mcp
    memory_id: str
    history_turns: int = 10
    limits: Limits = field(default_factory=Limits)
    tool_rules: tuple[ToolRule, ...] = ()
    metrics_namespace: str = "genai/Agents"
    #: Tools (bare names) whose results are knowledge-base documents: cited in the answer (``citations.py``).
    search_tools: tuple[str, ...] = ()
    recall: Recall = field(default_factory=Recall)

    def to_environment(self) -> dict[str, str]:
        return {SETTINGS: json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)}

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> AgentSettings:
        raw = environ.get(SETTINGS)
        if not raw:
            raise ValueError(f"{SETTINGS} is not set")
        try:
            data = json.loads(raw)
            limits = Limits(**data.pop("limits"))
            rules = tuple(ToolRule(tuple(r["callers"]), tuple(r["tools"])) for r in data.pop("tool_rules"))
            search_tools = tuple(data.pop("search_tools", ()))
            recall = Recall(**data.pop("recall", {}))
            return cls(**data, limits=limits, tool_rules=rules, search_tools=search_tools, recall=recall)
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"{SETTINGS} is not a valid agent settings document: {exc}") from None
