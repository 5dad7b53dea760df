"""The ``agents`` section: an agent on AgentCore Runtime using the catalog's use cases as Gateway tools.

Absent or ``"enabled": false`` means no agents stack. Every key but ``enabled`` has a default::

    "agents": {
      "enabled": true,
      "model": "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
      "max_output_tokens": 1024,
      "tools": {"use_cases": ["summarize", "translate", "classify", "extract", "answer"],
                "knowledge_bases": ["operations-guide"]},
      "memory": {"event_retention_days": 30, "summaries": true, "user_preferences": true, "history_turns": 10,
                 "recall_records": 5},
      "limits": {"max_steps": 6, "max_tool_calls": 8, "max_seconds": 20, "max_cost_usd": 0.05},
      "access": [{"callers": ["*"], "tools": ["summarize", "translate"]}],
      "gateway_policy": "enforce"
    }

``model`` must be on the environment's ``bedrock.models`` allow-list and take Converse tool use (default: the
chat default model). ``tools.use_cases`` are catalog use cases of the text and code families (chat keeps its own
history; the vision use case needs an image). ``tools.knowledge_bases`` are names from the environment's
``knowledge_bases`` (default: none), each the tool ``search_<name>``. ``tools.openapi`` adds external APIs with
an API-key or OAuth credential provider (``cdk/config/agent_openapi.py``). ``access`` rules match the API's caller id
(``cognito:<sub>`` or an IAM ARN) with fnmatch patterns; a caller may use the union of the tools of the rules it
matches (default: every caller, every tool); the agent enforces them per caller. ``gateway_policy`` (``enforce``,
``log_only`` or ``off``; default ``enforce``) puts a Cedar policy engine on the Gateway permitting only the tools some
rule names (its caller is the Runtime's role, not the end user, so it holds the union). ``limits.max_seconds``
must leave the API time to screen the answer: at most ``api`` request deadline - 5 s. Bounds live in
``cdk/components/agentcore_*/props.py``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from cdk.components.agentcore_gateway.props import POLICY_MODES, OpenApiToolTarget
from cdk.components.agentcore_memory.props import EVENT_RETENTION_DAYS_RANGE, RECALL_RECORDS_RANGE, AgentMemoryProps
from cdk.components.agentcore_runtime.props import (
    HISTORY_TURNS_RANGE,
    MAX_COST_USD_RANGE,
    MAX_OUTPUT_TOKENS_RANGE,
    MAX_STEPS_RANGE,
    MAX_TOOL_CALLS_RANGE,
    TOOL_USE_MODEL_MARKERS,
    AgentRuntimeProps,
    Limits,
    Recall,
    ToolRule,
)
from cdk.config.agent_openapi import parse_openapi_targets
from cdk.config.bedrock import BedrockConfig
from cdk.config.fields import ConfigError, Section
from cdk.config.knowledge_bases import PROMPT_CATALOG_PATH
from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()

# isort: split
from orchestrator.agent_tools import search_tool_name  # noqa: E402

TOOL_FAMILIES = ("text", "code")
#: Seconds the API keeps after the agent's run for the output screening and the response.
SCREENING_MARGIN_SECONDS = 5
CALLER_PATTERN = r"[A-Za-z0-9:/*?_.@+=,\-\[\]]{1,256}"


@dataclass(frozen=True)
class AgentsConfig:
    enabled: bool = False
    use_cases: tuple[str, ...] = ()
    knowledge_bases: tuple[str, ...] = ()  # each one the tool search_<name>
    gateway_policy: str = "enforce"  # a POLICY_MODES value, or "off"
    openapi_targets: tuple[OpenApiToolTarget, ...] = ()  # agents.tools.openapi (cdk/config/agent_openapi.py)
    memory: AgentMemoryProps = field(default_factory=AgentMemoryProps)
    runtime: AgentRuntimeProps | None = None  # None when disabled


@lru_cache(maxsize=1)
def catalog_families() -> dict[str, str]:
    """Use case id -> family, from the orchestrator's prompt catalog."""
    catalog = json.loads(PROMPT_CATALOG_PATH.read_text(encoding="utf-8"))
    return {entry["id"]: entry["family"] for entry in catalog["use_cases"]}


def parse_agents(section: Section, *, bedrock: BedrockConfig, request_deadline_seconds: int,
                 knowledge_bases: tuple[str, ...] = (), region: str = "") -> AgentsConfig:
    """``knowledge_bases``: the names of the environment's knowledge bases (what ``tools.knowledge_bases`` may list)."""
    enabled = section.boolean("enabled", False)
    if not enabled:
        for key in ("model", "max_output_tokens", "tools", "memory", "limits", "access", "gateway_policy"):
            section.raw(key, None)
        section.finish()
        return AgentsConfig()

    allowed_models = [model.id for model in bedrock.models]
    default_model = bedrock.default_models.get("chat") or (allowed_models[0] if allowed_models else "")
    model_id = section.string("model", default_model, choices=allowed_models)
    if not any(marker in model_id for marker in TOOL_USE_MODEL_MARKERS):
        raise ConfigError(section.child_path("model"), f"{model_id!r} does not take Converse tool use; use a model "
                          f"whose id contains one of: {', '.join(TOOL_USE_MODEL_MARKERS)}")
    price = bedrock.model(model_id).price

    tools = section.section("tools")
    usable = sorted(uc for uc, family in catalog_families().items() if family in TOOL_FAMILIES)

    def use_case(path: str, value: str) -> str:
        if value not in usable:
            raise ConfigError(path, f"{value!r} is not a tool use case; allowed values: {', '.join(usable)}")
        return value

    use_cases = tools.string_list("use_cases", ("summarize", "translate", "classify", "extract", "answer"),
                                  item=use_case, min_items=1)

    def knowledge_base(path: str, value: str) -> str:
        if value not in knowledge_bases:
            raise ConfigError(path, f"{value!r} is not one of this environment's knowledge_bases; allowed values: "
                              f"{', '.join(knowledge_bases) or '(none configured)'}")
        return value

    searched = tools.string_list("knowledge_bases", (), item=knowledge_base)
    tool_names = (*use_cases, *(search_tool_name(name) for name in searched))
    openapi = parse_openapi_targets(tools, region=region, taken=set(tool_names))
    tools.finish()
    tool_names += tuple(operation for target in openapi for operation in target.operations)

    memory_section = section.section("memory")
    d = AgentMemoryProps()
    memory = AgentMemoryProps(
        event_retention_days=memory_section.integer("event_retention_days", d.event_retention_days,
                                                    minimum=EVENT_RETENTION_DAYS_RANGE[0],
                                                    maximum=EVENT_RETENTION_DAYS_RANGE[1]),
        summaries=memory_section.boolean("summaries", d.summaries),
        user_preferences=memory_section.boolean("user_preferences", d.user_preferences),
    )
    history_turns = memory_section.integer("history_turns", 10, minimum=HISTORY_TURNS_RANGE[0],
                                           maximum=HISTORY_TURNS_RANGE[1])
    recall = Recall(summary_namespace=memory.summary_namespace if memory.summaries else "",
                    preference_namespace=memory.preference_namespace if memory.user_preferences else "",
                    top_k=memory_section.integer("recall_records", Recall().top_k, minimum=RECALL_RECORDS_RANGE[0],
                                                 maximum=RECALL_RECORDS_RANGE[1]))
    memory_section.finish()

    limits_section = section.section("limits")
    dl = Limits()
    max_seconds_ceiling = request_deadline_seconds - SCREENING_MARGIN_SECONDS
    if max_seconds_ceiling < 1:
        raise ConfigError(section.child_path("limits.max_seconds"),
                          f"the API's request deadline ({request_deadline_seconds} s) leaves no time for an agent run")
    limits = Limits(
        max_steps=limits_section.integer("max_steps", dl.max_steps, minimum=MAX_STEPS_RANGE[0], maximum=MAX_STEPS_RANGE[1]),
        max_tool_calls=limits_section.integer("max_tool_calls", dl.max_tool_calls, minimum=MAX_TOOL_CALLS_RANGE[0],
                                              maximum=MAX_TOOL_CALLS_RANGE[1]),
        max_seconds=limits_section.number("max_seconds", min(dl.max_seconds, max_seconds_ceiling), minimum=1,
                                          maximum=max_seconds_ceiling),
        max_cost_usd=limits_section.number("max_cost_usd", dl.max_cost_usd, minimum=MAX_COST_USD_RANGE[0],
                                           maximum=MAX_COST_USD_RANGE[1]),
    )
    limits_section.finish()

    rules = _parse_access(section, tool_names)
    gateway_policy = section.string("gateway_policy", "enforce", choices=[*POLICY_MODES, "off"])
    runtime = AgentRuntimeProps(
        model_id=model_id,
        price_in_per_1k=price.input,
        price_out_per_1k=price.output,
        max_output_tokens=section.integer(
            "max_output_tokens", 1024, minimum=MAX_OUTPUT_TOKENS_RANGE[0],
            maximum=min(MAX_OUTPUT_TOKENS_RANGE[1], bedrock.model(model_id).spec.max_output_tokens)),
        history_turns=history_turns,
        limits=limits,
        tool_rules=rules,
        search_tools=tuple(search_tool_name(name) for name in searched),
        recall=recall,
    )
    section.finish()
    return AgentsConfig(enabled=True, use_cases=use_cases, knowledge_bases=searched, gateway_policy=gateway_policy,
                        openapi_targets=openapi, memory=memory, runtime=runtime)


def _parse_access(section: Section, tool_names: tuple[str, ...]) -> tuple[ToolRule, ...]:
    if not section.has("access"):
        section.raw("access", None)
        return (ToolRule(("*",), tool_names),)
    rules: list[ToolRule] = []
    for rule in section.list_of_sections("access"):
        def known(path: str, value: str) -> str:
            if value not in tool_names:
                raise ConfigError(path, f"{value!r} is not one of the agent's tools (agents.tools.use_cases and "
                                  f"search_<name> of agents.tools.knowledge_bases): {', '.join(tool_names)}")
            return value

        def caller(path: str, value: str) -> str:
            if not re.fullmatch(CALLER_PATTERN, value):
                raise ConfigError(path, f"{value!r} is not a caller pattern (cognito:<sub>, an IAM ARN, with * and ?)")
            return value

        rules.append(ToolRule(callers=rule.string_list("callers", item=caller, min_items=1),
                              tools=rule.string_list("tools", item=known, min_items=1)))
        rule.finish()
    return tuple(rules)
