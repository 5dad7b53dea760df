"""Defects found reviewing the agent routes (POST /v1/agent[/stream]) and the Gateway's Lambda target:
what the Runtime answers is untrusted across the boundary, a run never outlives the request's deadline,
session ids are checked exactly, and the tool target never ends in an unhandled exception."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace
from typing import Any

import pytest
from orchestrator.agent_client import AgentClient, AgentLimitExceeded, AgentRequest, result_error
from orchestrator.agent_sessions import checked_session, new_session
from orchestrator.deadline import Deadline
from orchestrator.errors import ApiError, ValidationError
from orchestrator.tool_target import ToolTarget

OWNER = "cognito:alice-sub"
SECRET = "quoted model text: my password is hunter2"


# --------------------------------------------------------------------------- the Runtime's error object
def test_a_limit_stop_answers_the_apis_own_message_never_the_runtimes_text() -> None:
    error = result_error({"error": {"code": "limit_exceeded", "message": SECRET, "limit": "steps"}})
    assert isinstance(error, AgentLimitExceeded)
    assert error.status == 422 and error.extra == {"limit": "steps"}
    assert "hunter2" not in json.dumps(error.body())


@pytest.mark.parametrize("limit", ["<b>steps</b>", SECRET, 7])
def test_a_limit_the_api_does_not_know_is_not_passed_on(limit: Any) -> None:
    error = result_error({"error": {"code": "limit_exceeded", "message": "stopped", "limit": limit}})
    assert error is not None and error.code == "limit_exceeded"
    assert "limit" not in error.extra and "hunter2" not in json.dumps(error.body())


def test_an_unknown_stop_code_is_agent_error_without_the_runtimes_text() -> None:
    error = result_error({"error": {"code": SECRET, "message": SECRET}})
    assert error is not None and (error.status, error.code) == (502, "agent_error")
    assert "hunter2" not in json.dumps(error.body())


# --------------------------------------------------------------------------- reading the streamed answer
class _Raw:
    def __init__(self, chunks: list[bytes], on_chunk: Any = None) -> None:
        self.chunks, self.on_chunk, self.closed = chunks, on_chunk, False

    def stream(self) -> Any:
        for chunk in self.chunks:
            if self.on_chunk:
                self.on_chunk()
            yield chunk


class _Body:
    """botocore's StreamingBody as agent_client uses it: a context manager handing out the raw response."""

    def __init__(self, raw: _Raw) -> None:
        self.raw = raw

    def __enter__(self) -> _Raw:
        return self.raw

    def __exit__(self, *_: Any) -> None:
        self.raw.closed = True

    def close(self) -> None:
        self.raw.closed = True


class _Clients:
    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response

    def client(self, _: str) -> Any:
        return SimpleNamespace(invoke_agent_runtime=lambda **_: self.response)


def _request() -> AgentRequest:
    return AgentRequest(message="hi", session_id="s", caller=OWNER, request_id="r", runtime_session_id="api-" + "0" * 64)


TOOL_EVENT = b'data: {"type":"tool_call","phase":"start","tool":"usecases___summarize"}\n\n'
RESULT_EVENT = b'data: {"type":"result","output":"done","tool_calls":[],"usage":{},"steps":1}\n\n'


def test_a_streamed_run_that_outlives_the_deadline_ends_as_504_and_its_answer_is_closed() -> None:
    class PassingDeadline(Deadline):  # passes once the first chunk has arrived
        passed = False

        def expired(self) -> bool:
            return self.passed

    deadline = PassingDeadline(60)
    raw = _Raw([TOOL_EVENT, TOOL_EVENT, RESULT_EVENT], on_chunk=lambda: setattr(deadline, "passed", True))
    client = AgentClient(_Clients({"contentType": "text/event-stream", "response": _Body(raw)}), "arn")
    events = client.run(_request(), deadline, progress=True)
    with pytest.raises(ApiError) as raised:
        list(events)
    assert (raised.value.status, raised.value.code) == (504, "agent_timeout")
    assert raw.closed


def test_a_streamed_answer_line_without_end_is_refused_before_it_fills_the_memory() -> None:
    from orchestrator.agent_client import MAX_EVENT_BYTES

    raw = _Raw([b"data: " + b"x" * 65_536] * (MAX_EVENT_BYTES // 65_536 + 2))
    client = AgentClient(_Clients({"contentType": "text/event-stream", "response": _Body(raw)}), "arn")
    with pytest.raises(ApiError) as raised:
        list(client.run(_request(), Deadline(60), progress=True))
    assert (raised.value.status, raised.value.code) == (502, "agent_error")
    assert raw.closed


# --------------------------------------------------------------------------- session ids
def test_a_session_id_with_a_trailing_newline_is_malformed_400_not_someone_elses_404() -> None:
    session = new_session(OWNER)
    assert checked_session(OWNER, session) == session
    with pytest.raises(ValidationError):
        checked_session(OWNER, session + "\n")


def test_the_session_id_pattern_is_the_request_schemas() -> None:
    from orchestrator import agent_sessions, api_schema

    assert agent_sessions.SESSION_ID.pattern == api_schema.session_id_pattern()


# --------------------------------------------------------------------------- the Gateway's Lambda target
class _FailingService:
    def __init__(self) -> None:
        self.catalog = {"summarize": object()}
        self.settings = SimpleNamespace(knowledge_bases={})

    def deadline(self, _: Any) -> Deadline:
        return Deadline(10)

    def generate(self, data: Any, ctx: Any) -> Any:
        raise RuntimeError(f"unexpected: {data['input']}")


def test_a_tool_call_that_fails_unexpectedly_is_an_error_result_never_a_trace(caplog: pytest.LogCaptureFixture) -> None:
    target = ToolTarget(_FailingService(), frozenset({"summarize"}))  # type: ignore[arg-type]
    context = SimpleNamespace(aws_request_id="req-1", client_context=SimpleNamespace(
        custom={"bedrockAgentCoreToolName": "usecases___summarize"}))
    with caplog.at_level(logging.DEBUG):
        result = target.handle_event({"input": SECRET}, context)
    assert result["error"]["code"] == "internal_error"
    assert "hunter2" not in json.dumps(result) and "hunter2" not in caplog.text


# --------------------------------------------------------------------------- 404 / 405 on caller-chosen paths
MARKUP = "<img src=x onerror=alert(1)>"


def test_a_404_or_405_message_never_echoes_the_path_the_caller_chose(call) -> None:
    status, body, _ = call("GET", f"/v1/{MARKUP}")
    assert status == 404 and MARKUP not in json.dumps(body) and "/v1/generate" in body["error"]["message"]
    status, body, headers = call("POST", f"/v1/conversations/{MARKUP}")
    assert status == 405 and headers["Allow"] == "GET, DELETE"
    assert MARKUP not in json.dumps(body) and "/v1/conversations/{conversation_id}" in body["error"]["message"]


# --------------------------------------------------------------------------- the streamed routes' HTTP app (LWA)
class _BrokenStreams:
    """A StreamService whose opening fails unexpectedly, with request text in the exception."""

    def __init__(self) -> None:
        self.service = SimpleNamespace(settings=SimpleNamespace(max_input_chars=1000))

    def deadline(self, _: Any) -> Deadline:
        return Deadline(10)

    def open(self, operation: str, data: Any, ctx: Any) -> Any:
        raise RuntimeError(f"unexpected: {data['message']}")


@pytest.fixture
def stream_app() -> Any:
    import threading
    import urllib.request

    from orchestrator.streaming.server import REQUEST_CONTEXT_HEADER, build_server

    httpd = build_server(_BrokenStreams(), port=0)  # type: ignore[arg-type]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    context = json.dumps({"requestId": "req-lwa-2", "authorizer": {"claims": {"sub": "alice-sub"}}})

    def post(path: str, body: bytes, **headers: str) -> tuple[int, Any]:
        request = urllib.request.Request(f"http://127.0.0.1:{httpd.server_address[1]}{path}", data=body, method="POST",
                                         headers={"Content-Type": "application/json", REQUEST_CONTEXT_HEADER: context,
                                                  **headers})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback http
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    yield post
    httpd.shutdown()
    httpd.server_close()


def test_an_unexpected_failure_opening_a_stream_is_a_json_500_logged_by_type_only(stream_app, capsys) -> None:
    status, body = stream_app("/v1/agent/stream", json.dumps({"message": SECRET}).encode())
    assert (status, body["error"]["code"], body["request_id"]) == (500, "internal_error", "req-lwa-2")
    captured = capsys.readouterr()
    assert "hunter2" not in json.dumps(body) + captured.out + captured.err and "Traceback" not in captured.err


def test_the_stream_apps_404_never_echoes_the_path(stream_app) -> None:
    status, body = stream_app(f"/v1/{MARKUP}".replace(" ", "%20"), b"{}")
    assert status == 404 and "onerror" not in json.dumps(body) and "/v1/agent/stream" in body["error"]["message"]


# --------------------------------------------------------------------------- POST /v1/prompt/preview
def test_the_preview_names_the_pii_types_it_masked_as_the_playground_shows_them(call, aws, runtime_for) -> None:
    """The playground's preview shows ``screening.pii.types`` ("PII masked"); the preview never sent them, so it read
    "none" for a prompt with masked e-mails. The types, as /v1/moderate gives them, never the spans' text."""
    from .test_streaming import comprehend

    comprehend(aws)
    runtime_for(None)  # the real safety package over Comprehend at the HTTP edge
    status, preview, _ = call("POST", "/v1/prompt/preview", {"use_case": "summarize",
                                                               "input": "Ask dana@example.com to approve it."})
    assert status == 200, preview
    assert preview["screening"]["pii"]["types"] == ["EMAIL"] and "dana@" not in json.dumps(preview)
