"""The ``agents`` section: off unless enabled, the shipped dev/staging settings, and bad values that name the key
path and the allowed values."""

from __future__ import annotations

import pytest

from cdk.components.agentcore_runtime.props import Limits, ToolRule
from cdk.config import ConfigError, load_app_config
from tests.infra.synth import cdk_context

PATH = "environments.dev.agents"
MODELS = {"models": ["eu.anthropic.claude-haiku-4-5-20251001-v1:0", "eu.amazon.nova-lite-v1:0"]}


def _agents(section, **env):
    raw = {"region": "eu-west-1", "bedrock": MODELS, "agents": section, **env}
    return load_app_config({"environments": {"dev": raw}}).environment("dev").agents


def _error(section, **env) -> str:
    with pytest.raises(ConfigError) as error:
        _agents(section, **env)
    return str(error.value)


def test_absent_or_disabled_means_no_agents():
    assert not load_app_config({"environments": {"dev": {"region": "eu-west-1"}}}).environment("dev").agents.enabled
    assert _agents({"enabled": False}).runtime is None


def test_defaults_when_enabled():
    agents = _agents({"enabled": True})
    assert agents.use_cases == ("summarize", "translate", "classify", "extract", "answer")
    runtime = agents.runtime
    assert runtime.limits == Limits()
    assert runtime.tool_rules == (ToolRule(("*",), agents.use_cases),)
    assert runtime.price_in_per_1k > 0 and runtime.model_id.startswith("eu.")
    assert (agents.memory.event_retention_days, agents.memory.summaries, agents.memory.user_preferences) == (30, True, True)


def test_shipped_environments_enable_agents_in_dev_and_staging_only():
    config = load_app_config(cdk_context())
    assert {name for name in ("dev", "staging", "prod") if config.environment(name).agents.enabled} == {"dev", "staging"}


@pytest.mark.parametrize(("section", "path", "hint"), [
    ({"enabled": True, "model": "eu.amazon.nova-micro-v1:0"}, f"{PATH}.model", "allowed values"),
    ({"enabled": True, "tools": {"use_cases": ["chat"]}}, f"{PATH}.tools.use_cases[0]", "allowed values: answer"),
    ({"enabled": True, "tools": {"use_cases": []}}, f"{PATH}.tools.use_cases", "expected 1 to"),
    ({"enabled": True, "memory": {"event_retention_days": 3}}, f"{PATH}.memory.event_retention_days", "7"),
    ({"enabled": True, "memory": {"recall_records": 50}}, f"{PATH}.memory.recall_records", "out of range"),
    ({"enabled": True, "limits": {"max_steps": 0}}, f"{PATH}.limits.max_steps", "1"),
    ({"enabled": True, "limits": {"max_seconds": 60}}, f"{PATH}.limits.max_seconds", "out of range"),
    ({"enabled": True, "limits": {"max_cost_usd": 100}}, f"{PATH}.limits.max_cost_usd", "out of range"),
    ({"enabled": True, "access": [{"callers": ["*"], "tools": ["translate"]}], "tools": {"use_cases": ["summarize"]}},
     f"{PATH}.access[0].tools[0]", "agents.tools.use_cases"),
    ({"enabled": True, "tools": {"knowledge_bases": ["handbook"]}}, f"{PATH}.tools.knowledge_bases[0]",
     "(none configured)"),
    ({"enabled": True, "access": [{"callers": ["bad caller!"], "tools": ["summarize"]}]}, f"{PATH}.access[0].callers[0]",
     "caller pattern"),
    ({"enabled": True, "limit": {}}, f"{PATH}.limit", "unknown key"),
    ({"enabled": True, "gateway_policy": "audit"}, f"{PATH}.gateway_policy", "log_only"),
])
def test_bad_values_name_the_key_path(section, path, hint):
    message = _error(section)
    assert path in message and hint in message, message


def test_an_allow_listed_nova_model_takes_tool_use():
    assert _agents({"enabled": True, "model": "eu.amazon.nova-lite-v1:0"}).runtime.model_id == "eu.amazon.nova-lite-v1:0"


def test_access_rules_are_kept_in_order():
    agents = _agents({"enabled": True, "access": [{"callers": ["cognito:*"], "tools": ["summarize"]},
                                                  {"callers": ["arn:aws:iam::*:role/ops"], "tools": ["translate"]}]})
    assert agents.runtime.tool_rules == (ToolRule(("cognito:*",), ("summarize",)),
                                         ToolRule(("arn:aws:iam::*:role/ops",), ("translate",)))


KB = {"knowledge_bases": {"handbook": {"description": "The staff handbook", "source": {"sample_corpus": True}}}}


def test_knowledge_bases_become_search_tools_validated_against_the_environment():
    agents = _agents({"enabled": True, "tools": {"use_cases": ["summarize"], "knowledge_bases": ["handbook"]}}, **KB)
    assert agents.knowledge_bases == ("handbook",)
    assert agents.runtime.search_tools == ("search_handbook",)
    assert agents.runtime.tool_rules == (ToolRule(("*",), ("summarize", "search_handbook")),)
    message = _error({"enabled": True, "tools": {"knowledge_bases": ["guide"]}}, **KB)
    assert f"{PATH}.tools.knowledge_bases[0]" in message and "allowed values: handbook" in message
    rules = _agents({"enabled": True, "tools": {"knowledge_bases": ["handbook"]},
                     "access": [{"callers": ["cognito:*"], "tools": ["search_handbook"]}]}, **KB).runtime.tool_rules
    assert rules == (ToolRule(("cognito:*",), ("search_handbook",)),)


def test_recall_reads_the_namespaces_of_the_strategies_switched_on():
    from cdk.components.agentcore_runtime.props import Recall

    recall = _agents({"enabled": True}).runtime.recall
    assert recall == Recall("/summaries/{actorId}/{sessionId}", "/preferences/{actorId}", 5)
    recall = _agents({"enabled": True, "memory": {"summaries": False, "recall_records": 2}}).runtime.recall
    assert recall == Recall("", "/preferences/{actorId}", 2)


def test_the_gateway_policy_enforces_by_default():
    assert _agents({"enabled": True}).gateway_policy == "enforce"
    assert _agents({"enabled": True, "gateway_policy": "off"}).gateway_policy == "off"
