"""The agent's offline harness: the real loop, the real Converse adapter and Memory adapter over botocore
clients answered by FakeAws, and tools run by the Gateway target's own code (ToolTarget.handle_event)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from agent_runtime.gateway_client import outcome_of
from agent_runtime.loop import SYSTEM_PROMPT
from agent_runtime.run_state import ToolOutcome, ToolSpec
from orchestrator.agent_tools import TOOL_NAME_KEY, search_tool_definitions, tool_definitions
from orchestrator.tool_target import ToolTarget

from localaws import fakes

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
        if (payload.get("system") or [{}])[0] == {"text": SYSTEM_PROMPT}:
            self.requests.append(payload)
            if not self.script:
                raise AssertionError("the agent called the model more often than scripted")
            reply = self.script.pop(0)
            return fakes.aws_response(request, 200, reply(payload) if callable(reply) else reply)
        return self.tool_model(request, payload)


# --------------------------------------------------------------------------- AgentCore Memory
class FakeMemoryService:
    """CreateEvent / ListEvents keyed by (memory, actor, session), as the service keys them; RetrieveMemoryRecords
    over records by namespace. ``extract`` stands in for the long-term strategies (asynchronous in the service):
    each event's user text becomes a summary record in the session's namespace, and a sentence starting
    "I prefer" a preference record in the actor's, using the agent's own namespace templates."""

    def __init__(self, *, extract: bool = True) -> None:
        self.events: dict[tuple[str, str, str], list[dict]] = {}
        self.records: dict[str, list[str]] = {}
        self.retrievals: list[dict] = []
        self.extract = extract

    def _extract(self, actor: str, session: str, event_payload: list[dict]) -> None:
        from agent_runtime.settings_contract import PREFERENCE_NAMESPACE, SUMMARY_NAMESPACE

        user = next(item["conversational"]["content"]["text"] for item in event_payload
                    if item["conversational"]["role"] == "USER")
        summary = SUMMARY_NAMESPACE.replace("{actorId}", actor).replace("{sessionId}", session)
        self.records.setdefault(summary, []).append(f"The user asked: {user}")
        if user.startswith("I prefer"):
            self.records.setdefault(PREFERENCE_NAMESPACE.replace("{actorId}", actor), []).append(user)

    def __call__(self, request: Any, payload: dict) -> Any:
        parts = [unquote(p) for p in urlsplit(request.url).path.strip("/").split("/")]
        if parts[-1] == "retrieve":  # POST /memories/{memoryId}/retrieve
            self.retrievals.append(payload)
            found = self.records.get(payload["namespace"], [])[: payload["searchCriteria"]["topK"]]
            return fakes.aws_response(request, 200, {"memoryRecordSummaries": [
                {"memoryRecordId": f"mem-{index:040d}", "content": {"text": text}, "memoryStrategyId": "s1",
                 "namespaces": [payload["namespace"]], "createdAt": 0, "score": 0.9}
                for index, text in enumerate(found)]})
        if parts[-1] == "events":  # POST /memories/{memoryId}/events
            key = (parts[1], payload["actorId"], payload["sessionId"])
            event = {"memoryId": parts[1], "actorId": payload["actorId"], "sessionId": payload["sessionId"],
                     "eventId": f"e{len(self.events.get(key, []))}", "eventTimestamp": payload["eventTimestamp"],
                     "payload": payload["payload"]}
            self.events.setdefault(key, []).append(event)
            if self.extract:
                self._extract(payload["actorId"], payload["sessionId"], payload["payload"])
            return fakes.aws_response(request, 201, {"event": event})
        # POST /memories/{memoryId}/actor/{actorId}/sessions/{sessionId}
        key = (parts[1], parts[3], parts[5])
        return fakes.aws_response(request, 200, {"events": list(reversed(self.events.get(key, [])))})


def memory_timestamp(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromtimestamp(float(value))
