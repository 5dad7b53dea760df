"""``POST /v1/agent``: the caller's message to the agent on AgentCore Runtime, through the API's own gates.

validate -> the caller's session (``agent_sessions``: new, or the caller's own; another caller's is 404) ->
screen the message with the input filters (the same screening as generate: PII masked, toxicity; the
Runtime's model calls carry the guardrail) -> InvokeAgentRuntime with the masked message and the caller's
id (``agent_client``) -> the agent's limit and failure codes as API errors -> screen the answer with the
output filters -> the answer, the session, the tool calls and the usage.

The agent sees the caller's PII only as placeholders, and the answer keeps them: a session's earlier turns
(kept by the Runtime's memory) were screened separately, so the same placeholder may name different values
in two turns and restoring one turn's values could put the wrong value into the answer.

Nothing starts after the answer: the Runtime's loop returns only after every tool call it started has ended,
and the API answers after the Runtime's result (``agents.limits.max_seconds`` is below the API's deadline,
checked at synth in the API stack).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .agent_client import AgentClient, AgentRequest, result_error
from .agent_sessions import checked_session, new_session, runtime_session_id
from .errors import ModelError
from .observability import logger
from .safety_gate import CallerText, KeepPlaceholders
from .service import RequestContext, Service
from .validation import parse_agent

#: What a tool name may look like in a report (the model names tools; a refused call's name is model output).
_TOOL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
UNNAMED_TOOL = "(unnamed)"
OUTCOMES = ("ok", "error", "refused")


def tool_name(value: Any) -> str:
    """A reported tool name, or ``(unnamed)`` for anything that does not look like one (never model text)."""
    return value if isinstance(value, str) and _TOOL_NAME.match(value) else UNNAMED_TOOL


@dataclass(frozen=True, slots=True)
class PreparedRun:
    """A validated, screened message for the agent (what the buffered and the streamed route share)."""

    request: AgentRequest
    screening: Any  # the input screening: its analysis, and (kept) placeholders for the output screening
    message_chars: int


class AgentService:
    def __init__(self, service: Service, client: AgentClient) -> None:
        self.service = service
        self.client = client

    def prepare(self, data: Mapping[str, Any], ctx: RequestContext) -> PreparedRun:
        message, session_id = parse_agent(data, self.service.settings)
        session_id = checked_session(ctx.caller, session_id) if session_id else new_session(ctx.caller)
        screened = self.service.safety.screen_request(CallerText(input=message), primary_field="message", guardrail=False)
        request = AgentRequest(message=screened.text.input, session_id=session_id, caller=ctx.caller,
                               request_id=ctx.request_id, runtime_session_id=runtime_session_id(ctx.caller, session_id))
        return PreparedRun(request, screened.screening, len(message))

    def answer(self, data: Mapping[str, Any], ctx: RequestContext) -> dict[str, Any]:
        run = self.prepare(data, ctx)
        result: Mapping[str, Any] | None = None
        for event in self.client.run(run.request, ctx.deadline):
            if event.get("type") == "result":
                result = event
        report = checked_result(result)
        output = self.screen_answer(report.output, run)
        self.log_run(report, output_chars=len(output), message_chars=run.message_chars)
        return {"output": output, "session_id": run.request.session_id, **report.fields(), "request_id": ctx.request_id}

    def screen_answer(self, text: str, run: PreparedRun) -> str:
        """The output filters over the whole answer; the caller's placeholders stay placeholders (module doc)."""
        return self.service.safety.screen_output(text, KeepPlaceholders(run.screening), guardrail=False).text

    @staticmethod
    def log_run(report: RunReport, *, output_chars: int, message_chars: int) -> None:
        logger.info("agent run completed", extra={
            "tool_calls": len(report.tool_calls), "tool_failures": sum(c["outcome"] != "ok" for c in report.tool_calls),
            "steps": report.steps, "input_tokens": report.usage["input_tokens"],
            "output_tokens": report.usage["output_tokens"], "estimated_cost_usd": report.estimated_cost_usd,
            "message_chars": message_chars, "output_chars": output_chars})


@dataclass(frozen=True, slots=True)
class RunReport:
    """The Runtime's result, checked: only these fields, in these types, reach the caller."""

    output: str
    tool_calls: list[dict[str, Any]]
    usage: dict[str, int]
    steps: int
    estimated_cost_usd: float
    citations: list[dict[str, Any]]

    def fields(self) -> dict[str, Any]:
        return {"tool_calls": self.tool_calls, "usage": self.usage, "steps": self.steps,
                "estimated_cost_usd": self.estimated_cost_usd, **({"citations": self.citations} if self.citations else {})}


def citations_of(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The knowledge-base documents the answer cites (the Runtime's ``citations``: excerpts the search tool screened
    with the knowledge base's document policy), with only the Citation schema's fields, each of its type."""
    kept = []
    for item in result.get("citations") or []:
        if not isinstance(item, Mapping):
            continue
        n, score = item.get("n"), item.get("score")
        fields = {"source": item.get("source"), "excerpt": item.get("excerpt"), "knowledge_base": item.get("knowledge_base")}
        if (isinstance(n, int) and not isinstance(n, bool) and n >= 1 and isinstance(score, (int, float))
                and all(isinstance(value, str) for value in fields.values())):
            kept.append({"n": n, **fields, "score": float(score)})
    return kept


def tool_calls_of(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    calls = []
    for call in result.get("tool_calls") or []:
        if not isinstance(call, Mapping):
            continue
        outcome = call.get("outcome")
        calls.append({"tool": tool_name(call.get("tool")),
                      "duration_ms": _count(call.get("duration_ms")),
                      "outcome": outcome if outcome in OUTCOMES else "error"})
    return calls


def checked_result(result: Mapping[str, Any] | None) -> RunReport:
    """The run's report, or the API error the agent's stop maps to (``agent_client.result_error``)."""
    if result is None:
        raise ModelError("the agent answered without a result", code="agent_error")
    error = result_error(result)
    if error is not None:
        logger.info("agent run stopped", extra={"code": error.code, "tool_calls": len(tool_calls_of(result)),
                                                 "steps": _count(result.get("steps"))})
        raise error
    output = result.get("output")
    if not isinstance(output, str):
        raise ModelError("the agent's result has no answer", code="agent_error")
    usage = result.get("usage") if isinstance(result.get("usage"), Mapping) else {}
    cost = result.get("estimated_cost_usd")
    return RunReport(
        output=output, tool_calls=tool_calls_of(result),
        usage={"input_tokens": _count(usage.get("input_tokens")), "output_tokens": _count(usage.get("output_tokens"))},
        steps=_count(result.get("steps")),
        estimated_cost_usd=round(float(cost), 8) if isinstance(cost, (int, float)) and cost >= 0 else 0.0,
        citations=citations_of(result),
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
