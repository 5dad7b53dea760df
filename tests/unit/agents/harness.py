"""The agent's offline harness: the real loop, the real Converse adapter and Memory adapter over botocore
clients answered by FakeAws, and tools run by the Gateway target's own code (ToolTarget.handle_event)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from agent_runtime.gateway_client import outcome_of
from agent_runtime.loop import SYSTEM_PROMPT, ToolOutcome, ToolSpec
from orchestrator.agent_tools import TOOL_NAME_KEY, search_tool_definitions, tool_definitions
from orchestrator.tool_target import ToolTarget

from tests.unit.orchestrator import fakes

TARGET_NAME = "usecases"
KNOWLEDGE_TARGET = "knowledge"


class ClientContext:
    def __init__(self, tool: str) -> None:
        self.custom = {TOOL_NAME_KEY: tool}


class GatewayContext(fakes.LambdaContext):
    def __init__(self, tool: str) -> None:
        super().__init__()
        self.client_context = ClientContext(tool)


class InProcessGateway:
    """What the Gateway does for a Lambda target, in process: list the target's tool schema with the
    ``<target>___`` prefix; call = invoke the target's handler code with the arguments as the event."""

    def __init__(self, target: ToolTarget) -> None:
        self.target = target
        self.calls: list[str] = []

    def list_tools(self) -> Sequence[ToolSpec]:
        catalog = self.target.service.catalog
        definitions = tool_definitions((uc, catalog[uc].description) for uc in sorted(self.target.use_cases))
        searches = search_tool_definitions((kb.name, kb.description) for kb in self.target.searches.values())
        return [*(ToolSpec(f"{TARGET_NAME}___{d['name']}", d["description"], d["inputSchema"]) for d in definitions),
                *(ToolSpec(f"{KNOWLEDGE_TARGET}___{d['name']}", d["description"], d["inputSchema"]) for d in searches)]

    def call_tool(self, name: str, arguments: Mapping[str, Any], *, timeout: float) -> ToolOutcome:
        self.calls.append(name)
        result = self.target.handle_event(dict(arguments), GatewayContext(name))
        return outcome_of(json.dumps(result))


# --------------------------------------------------------------------------- the agent's model
def tool_use(name: str, arguments: Mapping[str, Any], *, tokens: tuple[int, int] = (200, 30), use_id: str = "t1"):
    return {"output": {"message": {"role": "assistant", "content": [
                {"text": "Let me use a tool."},
                {"toolUse": {"toolUseId": use_id, "name": name, "input": dict(arguments)}}]}},
            "stopReason": "tool_use",
            "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1], "totalTokens": sum(tokens)},
            "metrics": {"latencyMs": 1}}


def final(text: str, *, tokens: tuple[int, int] = (300, 40)):
    return {"output": {"message": {"role": "assistant", "content": [{"text": text}]}}, "stopReason": "end_turn",
            "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1], "totalTokens": sum(tokens)},
            "metrics": {"latencyMs": 1}}


class ScriptedAgentModel:
    """FakeAws' Converse handler: the agent's calls (its system prompt) get the scripted replies in order
    (a callable gets the request payload); every other Converse call is a use case's, answered by ``tool_model``."""

    def __init__(self, script: Sequence[Any], tool_model: Callable[[Any, dict], Any] = fakes.echo_converse) -> None:
        self.script = list(script)
        self.tool_model = tool_model
        self.requests: list[dict] = []

    def __call__(self, request: Any, payload: dict) -> Any:
        if payload.get("system") == [{"text": SYSTEM_PROMPT}]:
            self.requests.append(payload)
            if not self.script:
                raise AssertionError("the agent called the model more often than scripted")
            reply = self.script.pop(0)
            return fakes.aws_response(request, 200, reply(payload) if callable(reply) else reply)
        return self.tool_model(request, payload)


# --------------------------------------------------------------------------- AgentCore Memory
class FakeMemoryService:
    """CreateEvent / ListEvents keyed by (memory, actor, session), as the service keys them."""

    def __init__(self) -> None:
        self.events: dict[tuple[str, str, str], list[dict]] = {}

    def __call__(self, request: Any, payload: dict) -> Any:
        parts = [unquote(p) for p in urlsplit(request.url).path.strip("/").split("/")]
        if parts[-1] == "events":  # POST /memories/{memoryId}/events
            key = (parts[1], payload["actorId"], payload["sessionId"])
            event = {"memoryId": parts[1], "actorId": payload["actorId"], "sessionId": payload["sessionId"],
                     "eventId": f"e{len(self.events.get(key, []))}", "eventTimestamp": payload["eventTimestamp"],
                     "payload": payload["payload"]}
            self.events.setdefault(key, []).append(event)
            return fakes.aws_response(request, 201, {"event": event})
        # POST /memories/{memoryId}/actor/{actorId}/sessions/{sessionId}
        key = (parts[1], parts[3], parts[5])
        return fakes.aws_response(request, 200, {"events": list(reversed(self.events.get(key, [])))})


def memory_timestamp(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromtimestamp(float(value))
