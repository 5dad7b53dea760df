"""The Runtime's composition root and request handling: one :class:`AgentApp` per process.

An invocation carries ``{"message", "session_id"?, "caller", "request_id"}`` from the orchestrator
(POST /v1/agent), which authenticated the caller and screened the message; the orchestrator screens the
answer before anyone sees it. The answer, the tool calls and the usage come back as JSON; a run that
stops returns ``{"error": {"code", "message", "limit"?}}`` with what ran until then. Asked for
``text/event-stream`` (agent_main.py), the same body is the last event (``{"type": "result", ...}``), after
a ``tool_call`` event as each tool call starts and ends (the orchestrator's ``agent_client.py`` reads both).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .citations import cited
from .loop import AgentLoop
from .memory import SessionMemory, memory_context
from .metrics import emit_run
from .policy import allowed_tools
from .run_state import AgentStopped, Pricing, RunState, ToolPort
from .settings_contract import AgentSettings

SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MAX_MESSAGE_CHARS = 20_000


class AgentApp:
    def __init__(self, settings: AgentSettings, *, model: Any, tools: ToolPort, memory: SessionMemory,
                 clock: Callable[[], float] = time.monotonic, write: Callable[[str], None] = print) -> None:
        self.settings, self.memory, self.clock, self.write = settings, memory, clock, write
        self.loop = AgentLoop(model, tools, limits=settings.limits, clock=clock,
                              pricing=Pricing(settings.price_in_per_1k, settings.price_out_per_1k),
                              search_tools=frozenset(settings.search_tools))

    def handle(self, payload: Mapping[str, Any], progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """The run's answer (or its error); ``progress`` is told of each tool call as it starts and ends."""
        message, caller, session_id = payload.get("message"), payload.get("caller"), payload.get("session_id")
        if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE_CHARS:
            return _error("validation_error", f"message must be a non-empty string of at most {MAX_MESSAGE_CHARS} characters")
        if not isinstance(caller, str) or not caller:
            return _error("validation_error", "caller is required (the orchestrator sends the authenticated caller)")
        if session_id is None:
            session_id = uuid.uuid4().hex
        elif not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
            return _error("validation_error",
                          "session_id must be 1-64 letters, digits, '_' or '-', starting with a letter or digit")
        started = self.clock()
        history = self.memory.load(caller, session_id)
        recalled = self._recall(caller, session_id, message)
        try:
            result = self.loop.run(message, history=history, allowed=allowed_tools(self.settings.tool_rules, caller),
                                   context=(recalled,) if recalled else (), progress=progress)
        except AgentStopped as stop:
            self._emit(stop.state, started, stop.limit)
            body = _error(stop.code, stop.message, limit=stop.limit)
            return {**body, "session_id": session_id, **_report(stop.state)}
        # Recorded before the response is returned: nothing runs after it is sent.
        self.memory.append(caller, session_id, message, result.output)
        self._emit(result.state, started, None)
        body = {"output": result.output, "session_id": session_id, **_report(result.state)}
        if result.state.citations:
            body["citations"] = cited(result.output, result.state.citations)
        return body

    def _recall(self, caller: str, session_id: str, message: str) -> str | None:
        """Long-term memory is an aid, not a dependency: a failed recall runs the turn without it (logged by error
        type only, never text), where a failed session load fails the turn."""
        try:
            return memory_context(self.memory.recall(caller, session_id, message))
        except Exception as exc:  # noqa: BLE001 - botocore's errors and a malformed answer alike
            self.write(json.dumps({"level": "WARNING", "message": "memory recall failed",
                                   "error_type": type(exc).__name__}))
            return None

    def _emit(self, state: RunState, started: float, limit: str | None) -> None:
        emit_run(self.settings.metrics_namespace, self.settings.environment, state,
                 latency_ms=round((self.clock() - started) * 1000, 3), limit=limit, write=self.write)


def _report(state: RunState) -> dict[str, Any]:
    return {"tool_calls": [call.describe() for call in state.tool_calls], "usage": state.usage(),
            "steps": state.steps, "estimated_cost_usd": state.estimated_cost_usd}


def _error(code: str, message: str, *, limit: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if limit:
        error["limit"] = limit
    return {"error": error}


def build_app(environ: Mapping[str, str]) -> AgentApp:
    """The real adapters: the SDK's Bedrock model, the Gateway over MCP, AgentCore Memory (clients built once)."""
    import boto3

    from .bedrock_model import guarded_bedrock_model
    from .gateway_client import GatewayTools

    settings = AgentSettings.from_environment(environ)
    session = boto3.session.Session()
    model = guarded_bedrock_model(session=session, model_id=settings.model_id, guardrail_id=settings.guardrail_id,
                                  guardrail_version=settings.guardrail_version, max_tokens=settings.max_output_tokens,
                                  read_timeout=settings.limits.max_seconds)
    tools = GatewayTools(settings.gateway_url, region=session.region_name, credentials=session.get_credentials())
    memory = SessionMemory(session.client("bedrock-agentcore"), settings.memory_id, max_turns=settings.history_turns,
                           recall=settings.recall)
    return AgentApp(settings, model=model, tools=tools, memory=memory)
