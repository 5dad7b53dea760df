"""The streamed routes' wire format: Server-Sent Events (``text/event-stream``) whose ``data:`` line
is one JSON object with a ``type``:

``start``     ``{"type": "start", "request_id", "model"?, "conversation_id"?, "session_id"?}`` (first event;
              the agent stream has ``session_id`` and no ``model``)
``tool_call`` ``{"type": "tool_call", "phase": "start"|"end", "tool", "duration_ms"?, "outcome"?}``: the agent
              stream's tool calls, before its first ``delta`` (``agent_stream.py``)
``delta``     ``{"type": "delta", "text"}``: screened text, in order; the reply is their concatenation
``citation``  ``{"type": "citation", "n", "source", "score", "excerpt"}``: grounded answers, one per
              document the answer cites, after the last ``delta`` (the buffered ``citations`` items)
``usage``     ``{"type": "usage", "input_tokens", "output_tokens", "estimated"?, "estimated_cost_usd"}``
``error``     ``{"type": "error", "error": {"code", "message", ...}, "status", "retry_after"?, "request_id"}``: the
              buffered API's error object, the status it would have answered (the stream's own, 200, went out
              first) and, throttled or unavailable, the seconds its Retry-After would have said; last event
``done``      ``{"type": "done", "stop_reason", "request_id", "turn"?, "grounding"?, "session_id"?, "steps"?}``: last event
              (``stop_reason`` null: grounded, no document matched, no model was called)

Every stream ends with exactly one ``done`` or ``error``. A request that fails before the stream starts
(validation, input screening, the model refusing the call) gets the buffered API's JSON error and status.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MEDIA_TYPE = "text/event-stream"
EVENT_TYPES = ("start", "tool_call", "delta", "citation", "usage", "error", "done")
TERMINAL_TYPES = ("error", "done")


def event(kind: str, **fields: Any) -> dict[str, Any]:
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown event type {kind!r}")
    return {"type": kind, **fields}


def encode(payload: Mapping[str, Any]) -> bytes:
    """One SSE event: a single ``data:`` line (JSON never holds a raw newline) and a blank line."""
    return b"data: " + json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n\n"


def error_event(exc: Exception, request_id: str, **log_extra: Any) -> dict[str, Any]:
    """The stream's last event for a failure after ``start``: an ApiError's own body, anything else a 500
    ``internal_error``; logged by status and code, or by type only (never a trace, never text)."""
    from ..errors import ApiError
    from ..observability import logger

    if isinstance(exc, ApiError):
        log = logger.warning if exc.status >= 500 else logger.info
        log("stream failed", extra={"status": exc.status, "code": exc.code, **log_extra})
        wait = {"retry_after": exc.retry_after} if exc.retry_after is not None else {}
        return event("error", error=exc.body(), status=exc.status, **wait, request_id=request_id)
    logger.error("stream failed", extra={"error_type": type(exc).__name__})
    internal = ApiError("internal error; quote the request_id when reporting it")
    return event("error", error=internal.body(), status=internal.status, request_id=request_id)
