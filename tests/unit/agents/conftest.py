"""Fixtures: the orchestrator's composition root over FakeAws (tests/unit/orchestrator/conftest.py) serves
the tools; the agent's Bedrock and Memory clients are real botocore clients answered in process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from localaws import fakes
from tests.unit.orchestrator.conftest import _session_clients, aws, orchestrator_env, runtime_for  # noqa: F401

from .harness import FakeMemoryService, InProcessGateway, ScriptedAgentModel

ALICE = "cognito:alice-sub"
BOB = "arn:aws:iam::123456789012:user/bob"
MEMORY_ID = "genai_dev_agent-abcdefghij"


@pytest.fixture
def memory_service() -> FakeMemoryService:
    return FakeMemoryService()


def _fake_env_session() -> Any:
    """A boto3 session with the fakes' region and credentials (never the machine's)."""
    import boto3

    return boto3.session.Session(region_name=fakes.ENV["AWS_DEFAULT_REGION"], aws_access_key_id="testing",
                                 aws_secret_access_key="testing", aws_session_token="testing")


@pytest.fixture(scope="session")
def _agentcore_client() -> Any:
    return _fake_env_session().client("bedrock-agentcore")


@pytest.fixture
def agentcore_client(_agentcore_client: Any, memory_service: FakeMemoryService) -> Iterator[Any]:
    def answer(request: Any, **_: Any) -> Any:
        return memory_service(request, json.loads(request.body or b"{}"))

    _agentcore_client.meta.events.register_first("before-send", answer, unique_id="agent-memory")
    yield _agentcore_client
    _agentcore_client.meta.events.unregister("before-send", unique_id="agent-memory")


@pytest.fixture
def build_agent(runtime_for: Callable[..., Any], aws: fakes.FakeAws, _session_clients: Any,  # noqa: F811
                agentcore_client: Any) -> Callable[..., Any]:
    """``build_agent(script, tools=..., limits=..., rules=..., clock=...)`` -> (app, gateway, model)."""
    from agent_runtime.app import AgentApp
    from agent_runtime.bedrock_model import guarded_bedrock_model
    from agent_runtime.memory import SessionMemory
    from agent_runtime.settings_contract import PREFERENCE_NAMESPACE, SUMMARY_NAMESPACE, AgentSettings, Limits, Recall, ToolRule
    from orchestrator.tool_target import ToolTarget

    def build(script: list[Any], *, tools: tuple[str, ...] = ("summarize", "translate", "classify"),
              search_tools: tuple[str, ...] = (), recall: Any = None,
              limits: Limits | None = None, rules: tuple[ToolRule, ...] | None = None,
              tool_model: Callable[[Any, dict], Any] = fakes.echo_converse, clock: Callable[[], float] | None = None,
              safety_filter: Any = None) -> tuple[Any, InProcessGateway, ScriptedAgentModel]:
        runtime = runtime_for(safety_filter or fakes.FakeSafetyFilter(),
                              KNOWLEDGE_BASES=json.dumps([fakes.KNOWLEDGE_BASE]))
        model = ScriptedAgentModel(script, tool_model)
        aws.on("bedrock-runtime", "Converse", model)
        settings = AgentSettings(
            environment="dev", model_id=fakes.HAIKU, price_in_per_1k=0.00025, price_out_per_1k=0.00125,
            max_output_tokens=1024, guardrail_id=fakes.GUARDRAIL_ARN, guardrail_version=fakes.GUARDRAIL_VERSION,
            gateway_url="https://gw.example/mcp", memory_id=MEMORY_ID, limits=limits or Limits(),
            tool_rules=rules if rules is not None else (ToolRule(("*",), (*tools, *search_tools)),),
            search_tools=search_tools,
            recall=recall if recall is not None else Recall(SUMMARY_NAMESPACE, PREFERENCE_NAMESPACE, 3),
        )
        gateway = InProcessGateway(ToolTarget(runtime.service, frozenset((*tools, *search_tools))))
        converse = guarded_bedrock_model(session=_fake_env_session(), model_id=settings.model_id,
                                         guardrail_id=settings.guardrail_id,
                                         guardrail_version=settings.guardrail_version,
                                         max_tokens=settings.max_output_tokens, read_timeout=settings.limits.max_seconds)
        aws.attach(converse.client)  # the SDK's own bedrock-runtime client, answered by this test's FakeAws
        memory = SessionMemory(agentcore_client, MEMORY_ID, max_turns=settings.history_turns, recall=settings.recall)
        lines: list[str] = []
        kwargs: dict[str, Any] = {"clock": clock} if clock else {}
        app = AgentApp(settings, model=converse, tools=gateway, memory=memory, write=lines.append, **kwargs)
        app.metric_lines = lines  # type: ignore[attr-defined]
        return app, gateway, model

    return build
