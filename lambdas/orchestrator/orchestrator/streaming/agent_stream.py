"""``POST /v1/agent/stream``: an agent run as Server-Sent Events.

``start`` (request id, session id) is sent as soon as the message has passed validation and the input
filters; then the run is invoked, so a long run is bound by ``api.streaming.max_seconds`` and never by a
time to first byte. Events, in order:

``tool_call`` ``{"phase": "start"|"end", "tool", "duration_ms"?, "outcome"?}``: as the Runtime reports them
              (it is asked for ``text/event-stream``), else (a Runtime that answered JSON) the run's report,
              replayed once it has ended;
``delta``     the final answer in screened windows (``windows.py``, the generate stream's windows);
``citation``  the knowledge-base documents the answer cites (the buffered route's ``citations`` items);
``usage``     the run's tokens and estimated cost; ``done`` (``stop_reason`` ``end_turn``, ``session_id``, ``steps``).

A failure after ``start`` (throttled, a limit, a failed window) is an ``error`` event carrying the buffered
route's error object; what the agent did until a limit stopped it is reported first (its ``tool_call``
events). Closing the stream (the caller went away) closes the Runtime's response.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..agent_service import AgentService, PreparedRun, checked_result, tool_calls_of, tool_name
from ..safety_gate import KeepPlaceholders
from ..service import RequestContext
from .events import error_event, event
from .windows import OutputWindows, WindowLimits

STOP_REASON = "end_turn"


class AgentStream:
    """The events of one agent run (iterate once; ``close()`` when the caller goes away)."""

    def __init__(self, agent: AgentService, run: PreparedRun, ctx: RequestContext, limits: WindowLimits) -> None:
        self._agent, self._run, self._ctx, self._limits = agent, run, ctx, limits
        self._events = self._generate()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._events

    def close(self) -> None:
        self._events.close()

    def _generate(self) -> Iterator[dict[str, Any]]:
        ctx, run = self._ctx, self._run
        yield event("start", request_id=ctx.request_id, session_id=run.request.session_id)
        runtime_events: Iterator[dict[str, Any]] | None = None
        try:
            runtime_events = self._agent.client.run(run.request, ctx.deadline, progress=True)
            result: dict[str, Any] | None = None
            reported = 0
            for item in runtime_events:
                if item.get("type") == "result":
                    result = item
                    break
                tool_event = _tool_call_event(item)
                if tool_event is not None:
                    reported += tool_event["phase"] == "end"
                    yield tool_event
            if result is not None and not reported:  # a Runtime that answers JSON: its report, in order
                for call in tool_calls_of(result):
                    yield event("tool_call", phase="start", tool=call["tool"])
                    yield event("tool_call", phase="end", **call)
            report = checked_result(result)
            yield from self._answer(report.output)
            for citation in report.citations:  # as the grounded streams: after the last delta
                yield event("citation", **citation)
            AgentService.log_run(report, output_chars=len(report.output), message_chars=run.message_chars)
            yield event("usage", **report.usage, estimated_cost_usd=report.estimated_cost_usd)
            yield event("done", stop_reason=STOP_REASON, request_id=ctx.request_id, session_id=run.request.session_id,
                        steps=report.steps)
        except Exception as exc:  # noqa: BLE001 - never a trace on the wire (error_event)
            yield error_event(exc, ctx.request_id, route="agent")
        finally:
            if runtime_events is not None:
                runtime_events.close()

    def _answer(self, text: str) -> Iterator[dict[str, Any]]:
        """The answer through the output filters in windows, as the generate stream releases a model's text."""
        from safety.text import sanitize_output

        gate = self._agent.service.safety
        windows = OutputWindows(gate, KeepPlaceholders(self._run.screening), guardrail=False, limits=self._limits,
                                sanitize=sanitize_output)
        step = self._limits.window_chars
        for start in range(0, len(text), step):
            for released in windows.feed(text[start:start + step]):
                yield event("delta", text=released)
        for released in windows.finish():
            yield event("delta", text=released)


def _tool_call_event(item: dict[str, Any]) -> dict[str, Any] | None:
    """A Runtime progress event as the API's ``tool_call`` event (checked fields only), else None."""
    if item.get("type") != "tool_call" or item.get("phase") not in ("start", "end"):
        return None
    if item["phase"] == "start":
        return event("tool_call", phase="start", tool=tool_name(item.get("tool")))
    [call] = tool_calls_of({"tool_calls": [item]})
    return event("tool_call", phase="end", **call)
