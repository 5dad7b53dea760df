"""The API's side of the AgentCore Runtime: one ``InvokeAgentRuntime`` per agent run, read as events.

Wire contract with ``lambdas/agent_runtime`` (its ``app.py`` writes it; tests/unit/orchestrator/test_agent_api.py
runs the real AgentApp behind a fake InvokeAgentRuntime so both sides are held to it):

* request payload (JSON): ``{"message", "session_id", "caller", "request_id"}``: the message is the
  screened (masked) text; ``caller`` is the API's owner id (``owner.py``), which the Runtime's tool policy
  and memory are keyed by;
* answer ``application/json``: ``{"output", "session_id", "tool_calls": [{"tool", "duration_ms", "outcome"}],
  "usage", "steps", "estimated_cost_usd"}``, or ``{"error": {"code", "message", "limit"?}, ...the same report}``;
* answer ``text/event-stream`` (asked for by the streamed route; agent_main.py): ``data:`` lines of
  ``{"type": "tool_call", "phase": "start"|"end", "tool", "duration_ms"?, "outcome"?}`` and, last,
  ``{"type": "result", ...the JSON answer}``.

What the Runtime answers is untrusted here (it carries model text): only checked fields of known values reach
the caller. A stop's ``error.message`` is never passed on (the API words each known stop itself), ``error.limit``
only when it is one of :data:`LIMITS`; an unknown ``error.code`` is ``agent_error``. The streamed answer is read
within the request's deadline (checked as each chunk arrives: a Runtime that keeps sending cannot outlive it)
and an event line longer than :data:`MAX_EVENT_BYTES` ends the read (502) instead of filling the memory.

botocore facts (bedrock-agentcore 2024-02-28 model in botocore 1.44.x): InvokeAgentRuntime(agentRuntimeArn
[URI], qualifier [query], runtimeSessionId [header, 33..256], contentType, accept, payload [blob]) ->
{contentType, response [streaming blob], runtimeSessionId, statusCode}; errors ValidationException 400,
AccessDeniedException 403, ResourceNotFoundException 404, RetryableConflictException 409,
ServiceQuotaExceededException 402, RuntimeClientError 424 (the agent's container failed),
ThrottlingException 429, InternalServerException 500. Mapped: throttling and quota -> 429 ``throttled``;
RetryableConflictException (a run of the same session in progress) -> 409 ``conflict``; access, missing
runtime, unreachable -> 503 ``dependency_unavailable``; a timeout -> 504 ``agent_timeout``; anything else
(the container failed, a malformed answer) -> 502 ``agent_error``.

One attempt, no SDK retries (``clients.py``): a run calls tools and writes memory, so a retried call could
repeat them. The request's deadline bounds the call (``deadline.bound_to``): no call starts after it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .deadline import Deadline, DeadlinePassed, bound_to
from .errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    ApiError,
    Blocked,
    DependencyUnavailable,
    ModelError,
    Throttled,
)
from .settings import AGENT_RUNTIME_QUALIFIER

JSON = "application/json"
EVENT_STREAM = "text/event-stream"
#: The agent's own stop codes -> the API's answer (README "Agents": limits end a run with 422 limit_exceeded).
LIMIT_EXCEEDED = "limit_exceeded"
#: ``error.limit`` values the API passes on (README: ``agents.limits``), each with the API's own wording.
LIMITS = {
    "steps": "the run needed more model calls than agents.limits.max_steps allows",
    "tool_calls": "the run needed more tool calls than agents.limits.max_tool_calls allows",
    "time": "the run took longer than agents.limits.max_seconds allows",
    "cost": "the run's estimated cost passed agents.limits.max_cost_usd",
}
#: The longest ``data:`` line read from the Runtime's event stream: the result event holds the whole answer
#: (at most agents.max_output_tokens 8192 tokens) and its citations, far below this.
MAX_EVENT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class AgentRequest:
    message: str  # screened
    session_id: str
    caller: str
    request_id: str
    runtime_session_id: str


class AgentLimitExceeded(ApiError):
    status = 422
    code = LIMIT_EXCEEDED


class AgentClient:
    def __init__(self, clients: Any, runtime_arn: str) -> None:
        self._clients = clients
        self.runtime_arn = runtime_arn

    def run(self, request: AgentRequest, deadline: Deadline, *, progress: bool = False) -> Iterator[dict[str, Any]]:
        """The run's events: ``tool_call`` progress (``progress``: the Runtime is asked for ``text/event-stream``),
        then one ``result`` (the Runtime's JSON answer). Raises :class:`ApiError` for a failed call, before or
        while reading."""
        payload = json.dumps({"message": request.message, "session_id": request.session_id,
                              "caller": request.caller, "request_id": request.request_id},
                             ensure_ascii=False).encode("utf-8")
        client = self._clients.client("bedrock-agentcore")
        try:
            with bound_to(deadline):
                response = client.invoke_agent_runtime(
                    agentRuntimeArn=self.runtime_arn, qualifier=AGENT_RUNTIME_QUALIFIER,
                    runtimeSessionId=request.runtime_session_id, contentType=JSON, accept=EVENT_STREAM if progress else JSON,
                    payload=payload)
        except Exception as exc:  # noqa: BLE001 - every failure answers with a status, never a trace
            raise agent_call_error(exc) from None
        return _events(response, deadline)


def _events(response: Mapping[str, Any], deadline: Deadline) -> Iterator[dict[str, Any]]:
    body = response["response"]
    try:
        if str(response.get("contentType", "")).startswith(EVENT_STREAM):
            yield from _sse_events(body, deadline)
            return
        yield {"type": "result", **_json_object(body.read())}
    except ApiError:
        raise
    except Exception as exc:  # noqa: BLE001 - a read that failed mid-answer
        raise agent_call_error(exc) from None
    finally:
        close = getattr(body, "close", None)
        if callable(close):
            close()


def _sse_events(body: Any, deadline: Deadline) -> Iterator[dict[str, Any]]:
    """``data:`` lines as they arrive. Read from the raw urllib3 response (``StreamingBody``'s context manager
    hands it out): its ``stream()`` yields each HTTP chunk as it arrives, where ``StreamingBody.iter_lines`` reads
    1 KB blocks and would hold a short event back (urllib3 2.x ``read(amt)`` waits for ``amt`` bytes; checked in
    the installed urllib3 2.8 and botocore 1.44)."""
    pending = b""
    with body as raw:
        for chunk in raw.stream():
            if deadline.expired():
                raise ApiError("the agent did not answer in time", status=504, code="agent_timeout")
            *lines, pending = (pending + chunk).split(b"\n")
            if len(pending) > MAX_EVENT_BYTES:
                raise ModelError("the agent's answer has an event longer than the API reads", code="agent_error")
            for line in lines:
                if not line.startswith(b"data:"):
                    continue  # blank separators and ": keep-alive" comments
                event = _json_object(line[len(b"data:"):].strip())
                if event.get("type") == "result":
                    yield event
                    return
                if event.get("type") == "tool_call":
                    yield event
    raise ModelError("the agent's answer ended before its result", code="agent_error")


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ModelError("the agent answered with something other than a JSON object", code="agent_error")
    return value


def result_error(result: Mapping[str, Any]) -> ApiError | None:
    """The API's error for a run the agent ended without an answer (its ``error`` object), else None."""
    error = result.get("error")
    if error is None:
        return None
    code = error.get("code") if isinstance(error, Mapping) else None
    if code == LIMIT_EXCEEDED:
        limit = error.get("limit")
        if isinstance(limit, str) and limit in LIMITS:
            return AgentLimitExceeded(f"the agent run was stopped: {LIMITS[limit]}", extra={"limit": limit})
        return AgentLimitExceeded("the agent run was stopped by one of its limits (agents.limits)")
    if code == "blocked_by_guardrail":
        return Blocked("the agent's model call was blocked by the guardrail", extra={"check": "guardrail"})
    if code == "model_error":
        return ModelError("the agent's model returned an error")
    return ModelError("the agent failed without an answer", code="agent_error")


def agent_call_error(exc: Exception) -> ApiError:
    """A failed InvokeAgentRuntime -> 429 / 503 / 504 / 502, by ``aws_errors``' classification; the AWS
    message is dropped (it may quote the request)."""
    from aws_errors import Failure, classify

    if isinstance(exc, ApiError):
        return exc
    classified = classify(exc)
    extra = {"upstream_code": classified.code} if classified.code else {}
    kind = classified.kind
    if kind is Failure.THROTTLED:
        return Throttled("the agent runtime is throttled; retry after the delay in the Retry-After header",
                         retry_after=DEFAULT_RETRY_AFTER_SECONDS, extra=extra)
    if kind is Failure.TIMEOUT:
        return ApiError("the agent did not answer in time; POST /v1/agent/stream runs longer", status=504,
                        code="agent_timeout", extra=extra)
    if classified.code == "RetryableConflictException":
        return ApiError("another run of this session is in progress; send the message again when it has answered",
                        status=409, code="conflict", extra=extra)
    if kind in (Failure.UNREACHABLE, Failure.UNAVAILABLE):
        return DependencyUnavailable("the agent runtime is not available right now; try again later",
                                     retry_after=DEFAULT_RETRY_AFTER_SECONDS, extra=extra)
    if classified.code is None and classified.status is None:  # not an AWS answer: a local failure
        if isinstance(exc, DeadlinePassed):
            return ApiError("the agent did not answer in time", status=504, code="agent_timeout")
        return DependencyUnavailable(f"the agent runtime could not be called ({type(exc).__name__})")
    return ModelError("the agent failed while answering", code="agent_error", extra=extra)
