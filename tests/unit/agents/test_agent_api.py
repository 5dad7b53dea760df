"""POST /v1/agent and /v1/agent/stream end to end, offline: the API's handler (real botocore client for
bedrock-agentcore) -> a fake InvokeAgentRuntime that runs the real AgentApp (the agent loop, its Converse adapter,
Memory, the Gateway target's code) in process. Cases: a multi-step run's tool calls, owner isolation of sessions,
input blocked by the filters, the answer masked by the output filters, limits and runtime failures mapped to
documented statuses, and the streamed events in order."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from localaws import fakes
from tests.unit.orchestrator.test_streaming import comprehend

from .conftest import ALICE, BOB
from .harness import final, tool_use

RUNTIME_ARN = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:runtime/genai_dev_agent-AbCdEf1234"
ALICE_SUB = ALICE.removeprefix("cognito:")


@pytest.fixture
def agent_api(build_agent: Callable[..., Any], runtime_for: Callable[..., Any], aws: fakes.FakeAws) -> Callable[..., Any]:
    """``agent_api(script, real_filter=False, runtime_answer=None, **agent kwargs)`` -> (post, invocations):
    ``post(path, body, caller=...)`` calls the API handler; ``invocations`` records each InvokeAgentRuntime
    (the botocore request and its JSON payload)."""
    import handler

    def build(script: list[Any], *, real_filter: bool = False, runtime_answer: Any = None, **kwargs: Any):
        app, _gateway, _model = build_agent(script, **kwargs)
        runtime_for(None if real_filter else fakes.FakeSafetyFilter(), AGENT_RUNTIME_ARN=RUNTIME_ARN)
        invocations: list[tuple[Any, dict]] = []

        def invoke(request: Any, payload: dict) -> Any:
            invocations.append((request, payload))
            if runtime_answer is not None:
                return runtime_answer(request, payload, app)
            return fakes.aws_response(request, 200, app.handle(payload))

        aws.on("bedrock-agentcore", "InvokeAgentRuntime", invoke)

        def post(path: str, body: dict, *, caller: str = ALICE) -> tuple[int, Any]:
            who = {"cognito_sub": caller.removeprefix("cognito:")} if caller.startswith("cognito:") else {"caller": caller}
            response = handler.handler(fakes.api_event("POST", path, body, **who), fakes.LambdaContext())
            if response["statusCode"] == 200 and path.endswith("/stream"):
                return 200, [json.loads(line[len("data: "):]) for line in response["body"].splitlines() if line]
            return response["statusCode"], json.loads(response["body"])

        return post, invocations

    return build


def header(request: Any, name: str) -> str:
    value = request.headers[name]
    return value.decode() if isinstance(value, bytes) else value


SUMMARIZE_THEN_TRANSLATE = [
    tool_use("usecases___summarize", {"input": "Sales rose 12% in Q3. Costs fell."}, use_id="t1"),
    tool_use("usecases___translate", {"input": "Sales rose 12%.", "instructions": {"language": "French"}}, use_id="t2"),
    final("Les ventes ont augmenté de 12 %."),
]


def test_a_multi_step_run_reports_its_tool_calls_and_reaches_the_runtime_as_the_caller(agent_api) -> None:
    post, invocations = agent_api(SUMMARIZE_THEN_TRANSLATE)
    status, body = post("/v1/agent", {"message": "Summarize, then translate to French: Sales rose 12% in Q3."})
    assert status == 200, body
    assert body["output"] == "Les ventes ont augmenté de 12 %."
    assert [(c["tool"], c["outcome"]) for c in body["tool_calls"]] == [("summarize", "ok"), ("translate", "ok")]
    assert body["usage"] == {"input_tokens": 700, "output_tokens": 100} and body["steps"] == 3
    assert set(body) == {"output", "session_id", "tool_calls", "usage", "steps", "estimated_cost_usd", "request_id"}
    [(request, payload)] = invocations
    assert payload["caller"] == ALICE and payload["session_id"] == body["session_id"]
    assert request.url.split("?")[0].endswith("/runtimes/" + RUNTIME_ARN.replace(":", "%3A").replace("/", "%2F")
                                              + "/invocations")
    assert "qualifier=DEFAULT" in request.url
    runtime_session = header(request, "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id")
    assert len(runtime_session) >= 33 and body["session_id"] not in runtime_session


def test_sessions_are_their_owners_another_callers_session_id_is_404(agent_api, aws: fakes.FakeAws) -> None:
    post, invocations = agent_api([final("Hello Alice."), final("Still you, Alice.")])
    _, first = post("/v1/agent", {"message": "Hi, I am Alice."})
    session = first["session_id"]
    status, stolen = post("/v1/agent", {"message": "What did Alice say?", "session_id": session}, caller=BOB)
    assert (status, stolen["error"]["code"], stolen["error"]["field"]) == (404, "session_not_found", "session_id")
    status, made_up = post("/v1/agent", {"message": "Hi", "session_id": "0" * 32 + "-" + "0" * 16})
    assert (status, made_up["error"]["code"]) == (404, "session_not_found")
    status, again = post("/v1/agent", {"message": "Who am I?", "session_id": session})
    assert status == 200 and again["session_id"] == session
    assert len(invocations) == 2  # neither refused request reached the runtime
    first_call, second_call = (request for request, _ in invocations)
    name = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
    assert header(first_call, name) == header(second_call, name)  # the same runtime session for the same owner

    from orchestrator.agent_sessions import runtime_session_id

    assert runtime_session_id(ALICE, session) != runtime_session_id(BOB, session)


def test_the_message_passes_the_input_filters_first(agent_api) -> None:
    post, invocations = agent_api([final("Noted.")])
    status, blocked = post("/v1/agent", {"message": "BLOCKME please"})
    assert (status, blocked["error"]["code"], blocked["error"]["check"]) == (422, "blocked_by_safety", "toxicity")
    status, _ = post("/v1/agent", {"message": "Mail the summary to ann.lee@example.com"})
    assert status == 200
    [(_, payload)] = invocations  # the blocked message never reached the agent; the other arrived masked
    assert payload["message"] == "Mail the summary to [EMAIL_1]"


def test_the_answer_passes_the_output_filters_before_anyone_sees_it(agent_api, aws: fakes.FakeAws) -> None:
    post, _ = agent_api([final("Done. Ask bob.smith@example.org if anything is unclear.")], real_filter=True)
    comprehend(aws)
    status, body = post("/v1/agent", {"message": "Write the summary."})
    assert status == 200, body
    assert body["output"] == "Done. Ask [EMAIL] if anything is unclear."

    post, _ = agent_api([final("BLOCKME")])
    status, body = post("/v1/agent", {"message": "Write the summary."})
    assert (status, body["error"]["code"]) == (422, "blocked_by_safety")
    assert "BLOCKME" not in json.dumps(body)


def test_a_limit_ends_the_run_with_422_limit_exceeded_naming_it(agent_api) -> None:
    from agent_runtime.settings_contract import Limits

    loop = [tool_use("usecases___summarize", {"input": f"part {n}"}, use_id=f"t{n}") for n in range(4)]
    post, _ = agent_api(loop, limits=Limits(max_steps=3))
    status, body = post("/v1/agent", {"message": "Summarize every part."})
    assert (status, body["error"]["code"], body["error"]["limit"]) == (422, "limit_exceeded", "steps")


@pytest.mark.parametrize(("status", "code", "api_status", "api_code"), [
    (429, "ThrottlingException", 429, "throttled"),
    (402, "ServiceQuotaExceededException", 429, "throttled"),
    (409, "RetryableConflictException", 409, "conflict"),
    (424, "RuntimeClientError", 502, "agent_error"),
    (500, "InternalServerException", 502, "agent_error"),
    (403, "AccessDeniedException", 503, "dependency_unavailable"),
    (404, "ResourceNotFoundException", 503, "dependency_unavailable"),
])
def test_a_failed_invocation_is_a_documented_status_never_a_trace(agent_api, status: int, code: str, api_status: int,
                                                                  api_code: str) -> None:
    post, invocations = agent_api([], runtime_answer=lambda request, payload, app: fakes.aws_error(
        request, status, code, "quoting the request: secret text"))
    answer_status, body = post("/v1/agent", {"message": "secret text"})
    assert (answer_status, body["error"]["code"]) == (api_status, api_code)
    assert "secret" not in json.dumps(body) and "Traceback" not in json.dumps(body)
    assert len(invocations) == 1  # one attempt: a retried run could repeat its tool calls


def test_the_streamed_route_sends_start_tool_calls_screened_deltas_usage_done_in_order(agent_api) -> None:
    post, _ = agent_api(SUMMARIZE_THEN_TRANSLATE)
    status, events = post("/v1/agent/stream", {"message": "Summarize, then translate to French: Sales rose 12%."})
    assert status == 200
    kinds = [event["type"] for event in events]
    assert kinds == ["start", "tool_call", "tool_call", "tool_call", "tool_call", "delta", "usage", "done"], kinds
    start, *_, usage, done = events
    assert start["session_id"] == done["session_id"] and done["stop_reason"] == "end_turn" and done["steps"] == 3
    calls = [(e["phase"], e["tool"], e.get("outcome")) for e in events if e["type"] == "tool_call"]
    assert calls == [("start", "summarize", None), ("end", "summarize", "ok"),
                     ("start", "translate", None), ("end", "translate", "ok")]
    assert "".join(e["text"] for e in events if e["type"] == "delta") == "Les ventes ont augmenté de 12 %."
    assert (usage["input_tokens"], usage["output_tokens"]) == (700, 100)


def test_a_streamed_runtime_reports_tool_calls_as_they_happen_and_a_limit_ends_with_an_error_event(agent_api) -> None:
    def sse(request: Any, payload: dict, app: Any) -> Any:
        body = app.handle(payload)
        lines = [{"type": "tool_call", "phase": phase, **({"tool": call["tool"]} if phase == "start" else call)}
                 for call in body["tool_calls"] for phase in ("start", "end")]
        raw = b"".join(b"data: " + json.dumps(line).encode() + b"\n\n" for line in [*lines, {"type": "result", **body}])
        return fakes.aws_response(request, 200, b": keep-alive\n\n" + raw, {"Content-Type": "text/event-stream"})

    from agent_runtime.settings_contract import Limits

    post, _ = agent_api(SUMMARIZE_THEN_TRANSLATE, runtime_answer=sse, limits=Limits(max_tool_calls=1))
    status, events = post("/v1/agent/stream", {"message": "Summarize, then translate."})
    assert status == 200
    assert [e["type"] for e in events] == ["start", "tool_call", "tool_call", "error"]
    assert events[-1]["error"]["code"] == "limit_exceeded" and events[-1]["error"]["limit"] == "tool_calls"


def test_the_agent_routes_answer_404_where_agents_are_off(runtime_for: Callable[..., Any], aws: fakes.FakeAws) -> None:
    import handler

    runtime_for(fakes.FakeSafetyFilter())
    for path in ("/v1/agent", "/v1/agent/stream"):
        response = handler.handler(fakes.api_event("POST", path, {"message": "hi"}), fakes.LambdaContext())
        assert (response["statusCode"], json.loads(response["body"])["error"]["code"]) == (404, "not_found")
    assert aws.count("bedrock-agentcore", "InvokeAgentRuntime") == 0


def test_the_documents_the_answer_cites_come_back_checked_and_after_the_streamed_answer(agent_api) -> None:
    cited = {"n": 1, "knowledge_base": "operations-guide", "source": "s3://docs/deploying.md", "score": 0.82,
             "excerpt": "Deploy with make deploy."}

    def with_citations(request: Any, payload: dict, app: Any) -> Any:
        body = app.handle(payload)
        body["citations"] = [cited, {"n": "2", "source": None, "excerpt": "<script>"}]  # the second is malformed
        return fakes.aws_response(request, 200, body)

    post, _ = agent_api([final("Use make deploy [1]."), final("Use make deploy [1].")], runtime_answer=with_citations)
    status, body = post("/v1/agent", {"message": "How do I deploy?"})
    assert status == 200 and body["citations"] == [cited]
    status, events = post("/v1/agent/stream", {"message": "How do I deploy?"})
    kinds = [event["type"] for event in events]
    assert kinds == ["start", "delta", "citation", "usage", "done"], kinds
    assert {k: v for k, v in events[2].items() if k != "type"} == cited


def test_the_streaming_functions_http_app_serves_the_agent_stream_on_loopback(agent_api) -> None:
    """What the Lambda Web Adapter fronts in Lambda (streaming/server.py): the caller from API Gateway's request
    context header; errors before the stream (another caller's session) are the buffered JSON errors."""
    import threading
    import urllib.error
    import urllib.request

    import handler
    from orchestrator.stream_settings import StreamSettings
    from orchestrator.streaming.server import REQUEST_CONTEXT_HEADER, build_server
    from orchestrator.streaming.service import StreamService

    post, _ = agent_api([final("Hello Alice."), *SUMMARIZE_THEN_TRANSLATE])
    _, alices = post("/v1/agent/stream", {"message": "Hello"})
    session = alices[0]["session_id"]
    runtime = handler.RUNTIME
    httpd = build_server(StreamService(runtime.service, StreamSettings(), agent=runtime.agent), port=0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/v1/agent/stream"

    def request(body: dict, caller: str) -> Any:
        context = json.dumps({"requestId": "req-lwa-1", "authorizer": {"claims": {"sub": caller}}})
        return urllib.request.urlopen(urllib.request.Request(
            url, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", REQUEST_CONTEXT_HEADER: context}), timeout=30)

    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            request({"message": "Whose session?", "session_id": session}, "bob-sub")
        assert refused.value.code == 404 and json.loads(refused.value.read())["error"]["code"] == "session_not_found"
        with request({"message": "Summarize, then translate.", "session_id": session}, ALICE_SUB) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            events = [json.loads(line[len(b"data: "):]) for line in response.read().splitlines() if line]
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert events[0]["type"] == "start" and events[-1]["type"] == "done"
    assert events[0]["request_id"] == "req-lwa-1" and events[-1]["session_id"] == session


# --------------------------------------------------------------------------- the Runtime's HTTP contract, streamed
@pytest.fixture
def runtime_http() -> Any:
    """``runtime_http(app)`` -> the URL of agent_main's HTTP server (what AgentCore runs) serving ``app`` on loopback."""
    import threading

    from agent_main import AgentHttpServer

    servers: list[Any] = []

    def serve(app: Any) -> str:
        httpd = AgentHttpServer(("127.0.0.1", 0), app)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield serve
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def test_the_runtime_answers_json_or_streams_tool_calls_then_the_result(build_agent, runtime_http) -> None:
    import urllib3

    app, _, _ = build_agent([*SUMMARIZE_THEN_TRANSLATE, *SUMMARIZE_THEN_TRANSLATE])
    url = runtime_http(app) + "/invocations"
    payload = json.dumps({"message": "Summarize, then translate.", "caller": ALICE}).encode()

    def invoke(accept: str) -> tuple[str, bytes]:
        response = urllib3.PoolManager().request("POST", url, body=payload, timeout=30,
                                                 headers={"Content-Type": "application/json", "Accept": accept})
        return response.headers["Content-Type"], response.data

    kind, raw = invoke("application/json")
    assert kind == "application/json" and json.loads(raw)["output"] == "Les ventes ont augmenté de 12 %."
    kind, raw = invoke("text/event-stream")
    events = [json.loads(line[len(b"data: "):]) for line in raw.split(b"\n") if line.startswith(b"data: ")]
    assert kind.startswith("text/event-stream")
    assert [(e["type"], e.get("phase"), e.get("tool")) for e in events] == [
        ("tool_call", "start", "summarize"), ("tool_call", "end", "summarize"),
        ("tool_call", "start", "translate"), ("tool_call", "end", "translate"), ("result", None, None)]
    assert events[-1]["output"] == "Les ventes ont augmenté de 12 %." and events[1]["outcome"] == "ok"


def test_the_streamed_route_relays_the_runtimes_tool_calls_as_they_happen(agent_api, runtime_http, build_agent,
                                                                         aws: fakes.FakeAws) -> None:
    """InvokeAgentRuntime answered by agent_main's real HTTP server (its urllib3 response is the botocore body):
    the first tool_call event reaches the API's stream while the tool call it announces is still running."""
    import urllib3
    from botocore.awsrequest import AWSResponse
    from orchestrator.service import RequestContext
    from orchestrator.stream_settings import StreamSettings
    from orchestrator.streaming.service import StreamService

    http = urllib3.PoolManager()
    urls: list[str] = []

    def over_http(request: Any, payload: dict, app: Any) -> Any:
        urls.append(urls[0] if urls else runtime_http(app))
        accept = header(request, "Accept")
        response = http.request("POST", urls[0] + "/invocations", body=json.dumps(payload).encode(),
                                headers={"Content-Type": "application/json", "Accept": accept}, preload_content=False)
        return AWSResponse(request.url, response.status, {"Content-Type": response.headers["Content-Type"]}, response)

    import threading

    release = threading.Event()

    def gated_tool_model(request: Any, payload: dict) -> Any:  # the use cases' model waits until released
        assert release.wait(10)
        return fakes.echo_converse(request, payload)

    agent_api(SUMMARIZE_THEN_TRANSLATE, runtime_answer=over_http, tool_model=gated_tool_model)
    import handler

    runtime = handler.RUNTIME
    streams = StreamService(runtime.service, StreamSettings(), agent=runtime.agent)
    ctx = RequestContext(request_id="req-live-1", caller=ALICE, deadline=streams.deadline(None))
    model = aws.handlers[("bedrock-runtime", "Converse")]
    stream = streams.open("agent", {"message": "Summarize, then translate."}, ctx)
    try:
        events = iter(stream)
        assert next(events)["type"] == "start"
        first = next(events)
        assert (first["type"], first["phase"], first["tool"]) == ("tool_call", "start", "summarize")
        assert len(model.requests) == 1  # the agent is inside its first tool call (held): its run has not ended
        release.set()
        rest = list(events)
    finally:
        stream.close()
    assert [e["type"] for e in rest] == ["tool_call", "tool_call", "tool_call", "delta", "usage", "done"]
    assert aws.payloads("bedrock-agentcore", "InvokeAgentRuntime")  # one invocation, through botocore


def test_a_caller_that_leaves_a_streamed_run_stops_it_before_the_next_tool_call(build_agent, runtime_http) -> None:
    import socket
    import threading
    import time
    from urllib.parse import urlsplit

    release = threading.Event()

    def gated_tool_model(request: Any, payload: dict) -> Any:
        assert release.wait(10)
        return fakes.echo_converse(request, payload)

    app, gateway, model = build_agent([*SUMMARIZE_THEN_TRANSLATE], tool_model=gated_tool_model)
    address = urlsplit(runtime_http(app))
    body = json.dumps({"message": "Summarize, then translate.", "caller": ALICE}).encode()
    caller = socket.create_connection((address.hostname, address.port), timeout=10)
    caller.sendall(b"POST /invocations HTTP/1.1\r\nHost: runtime\r\nContent-Type: application/json\r\n"
                   b"Accept: text/event-stream\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    received = b""
    while b'"tool":"summarize"' not in received:
        received += caller.recv(4096)
    caller.close()  # the caller goes away while the first tool call runs
    release.set()
    until = time.monotonic() + 10
    while len(model.requests) < 2 and time.monotonic() < until:  # the agent's next step, after the tool call
        time.sleep(0.01)
    time.sleep(0.3)
    assert len(model.requests) == 2 and gateway.calls == ["usecases___summarize"]  # translate never started
