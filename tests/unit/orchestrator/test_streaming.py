"""Streamed generate and chat: real event-stream frames from a fake ConverseStream /
InvokeEndpointWithResponseStream, screened windows through the real safety filter (Comprehend faked
at the HTTP edge), mid-stream AWS errors, and a caller that goes away."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from localaws import fakes
from localaws.streams import converse_frames, payload_part_frames, streamed

from ..client import _CLIENT_SRC  # noqa: F401 - puts client/ on sys.path (its SSE reader)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
SMALL = {"window_chars": 40, "min_window_chars": 10, "tail_chars": 24}


def comprehend(aws: fakes.FakeAws, *, toxic_word: str = "idiot") -> list[str]:
    """Comprehend at the HTTP edge: e-mails are PII, segments containing ``toxic_word`` are toxic;
    returns the texts each DetectPiiEntities call saw."""
    seen: list[str] = []
    aws.on("comprehend", "DetectDominantLanguage",
           lambda req, p: fakes.aws_response(req, 200, {"Languages": [{"LanguageCode": "en", "Score": 0.99}]}))

    def pii(req: Any, payload: dict) -> Any:
        seen.append(payload["Text"])
        entities = [{"Type": "EMAIL", "BeginOffset": m.start(), "EndOffset": m.end(), "Score": 0.99}
                    for m in _EMAIL.finditer(payload["Text"])]
        return fakes.aws_response(req, 200, {"Entities": entities})

    def toxicity(req: Any, payload: dict) -> Any:
        results = []
        for segment in payload["TextSegments"]:
            score = 0.97 if toxic_word in segment["Text"] else 0.01
            results.append({"Labels": [{"Name": "INSULT", "Score": score}], "Toxicity": score})
        return fakes.aws_response(req, 200, {"ResultList": results})

    aws.on("comprehend", "DetectPiiEntities", pii)
    aws.on("comprehend", "DetectToxicContent", toxicity)
    aws.on("bedrock-runtime", "ApplyGuardrail", lambda req, p: fakes.aws_response(req, 200, {
        "usage": {"topicPolicyUnits": 1, "contentPolicyUnits": 1, "wordPolicyUnits": 1,
                  "sensitiveInformationPolicyUnits": 1, "sensitiveInformationPolicyFreeUnits": 0,
                  "contextualGroundingPolicyUnits": 0},
        "action": "NONE", "outputs": [], "assessments": []}))
    return seen


@pytest.fixture
def streams(runtime_for: Any) -> Any:
    """``streams(safety_filter=None, **limits)`` -> a function ``open(operation, body)`` returning the events."""
    from orchestrator.service import RequestContext
    from orchestrator.stream_settings import StreamSettings
    from orchestrator.streaming.service import StreamService

    def build(safety_filter: Any = None, **limits: int) -> Any:
        runtime = runtime_for(safety_filter)
        service = StreamService(runtime.service, StreamSettings(**{**SMALL, **limits}))

        def open_stream(operation: str, body: dict) -> Any:
            ctx = RequestContext(request_id="req-stream-1", caller=fakes.CALLER, deadline=service.deadline(None))
            return service.open(operation, body, ctx)

        return open_stream

    return build


def events_of(stream: Any) -> list[dict]:
    try:
        return list(stream)
    finally:
        stream.close()


def text_of(events: list[dict]) -> str:
    return "".join(e["text"] for e in events if e["type"] == "delta")


TOKENS = ["The answer ", "is simple. ", "Write to ", "ann.lee", "@example", ".com for ", "details. ",
          "Thanks for ", "asking, ", "goodbye."]


def test_generate_streams_screened_windows_and_ends_with_usage_and_done(aws: fakes.FakeAws, streams: Any) -> None:
    seen = comprehend(aws)
    aws.on("bedrock-runtime", "ConverseStream", streamed(converse_frames(TOKENS), delay=0.005))
    events = events_of(streams()("generate", {"use_case": "summarize", "input": "Summarize the policy."}))
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-2:] == ["usage", "done"] and kinds.count("delta") >= 2
    assert events[0] == {"type": "start", "request_id": "req-stream-1", "model": fakes.HAIKU}
    assert events[-1] == {"type": "done", "stop_reason": "end_turn", "request_id": "req-stream-1"}
    assert events[-2]["output_tokens"] == len(TOKENS) and events[-2]["input_tokens"] == 50
    # The e-mail the model wrote was split across two chunks; a window screened it whole: masked, never sent.
    assert text_of(events) == "The answer is simple. Write to [EMAIL] for details. Thanks for asking, goodbye."
    assert "ann.lee" not in json.dumps(events)
    assert any("ann.lee@example.com" in text for text in seen)
    request = aws.payloads("bedrock-runtime", "ConverseStream")[0]
    assert request["guardrailConfig"]["streamProcessingMode"] == "sync"


def test_an_email_split_across_two_windows_is_masked(aws: fakes.FakeAws, streams: Any) -> None:
    comprehend(aws)
    # Window boundary (window_chars=20) falls inside the address; the held tail carries its start.
    tokens = ["Hello there, please write to bo", "b.smith@exam", "ple.org soon and have a very good day."]
    aws.on("bedrock-runtime", "ConverseStream", streamed(converse_frames(tokens)))
    events = events_of(streams(window_chars=20, min_window_chars=5, tail_chars=24)(
        "generate", {"use_case": "summarize", "input": "Say hello."}))
    assert text_of(events) == "Hello there, please write to [EMAIL] soon and have a very good day."
    assert "smith" not in json.dumps(events)


def test_toxic_text_mid_stream_ends_with_blocked_by_safety_and_is_never_sent(aws: fakes.FakeAws, streams: Any) -> None:
    comprehend(aws)
    tokens = ["This starts fine. ", "It goes on well. ", "Then: you idiot, ", "says the model. ", "More text here."]
    record: list[Any] = []
    aws.on("bedrock-runtime", "ConverseStream", streamed(converse_frames(tokens * 3), record=record))
    events = events_of(streams(window_chars=30, min_window_chars=10, tail_chars=8)(
        "generate", {"use_case": "summarize", "input": "Tell me a story."}))
    assert events[-1]["type"] == "error" and events[-1]["error"]["code"] == "blocked_by_safety"
    assert events[-1]["request_id"] == "req-stream-1"
    assert "idiot" not in json.dumps(events)
    assert "done" not in [e["type"] for e in events]
    assert record[0].closed.is_set()  # the model stream was closed


@pytest.mark.parametrize(("exception", "code", "status"), [
    ("throttlingException", "throttled", 429),
    ("modelStreamErrorException", "model_error", 502),
])
def test_a_mid_stream_aws_error_ends_with_the_buffered_error_object(
    aws: fakes.FakeAws, streams: Any, safety_fake: Any, exception: str, code: str, status: int
) -> None:
    aws.on("bedrock-runtime", "ConverseStream", streamed(converse_frames(TOKENS, fail_after=4, exception=exception)))
    events = events_of(streams(safety_fake)("generate", {"use_case": "summarize", "input": "Summarize."}))
    last = events[-1]
    assert last["type"] == "error" and last["error"]["code"] == code, last
    assert [e["type"] for e in events].count("error") == 1 and "done" not in [e["type"] for e in events]
    assert "upstream_code" in last["error"]
    # The HTTP status (200) went out before the failure: the event says what the buffered route would have answered,
    # and a throttled stream says how long to wait, as Retry-After does there.
    assert last["status"] == status
    assert (last.get("retry_after") is not None) == (status == 429)


def test_a_caller_that_goes_away_closes_the_model_stream(aws: fakes.FakeAws, streams: Any, safety_fake: Any) -> None:
    record: list[Any] = []
    tokens = [f"Sentence number {i}. " for i in range(200)]
    aws.on("bedrock-runtime", "ConverseStream", streamed(converse_frames(tokens), delay=0.002, record=record))
    stream = streams(safety_fake)("generate", {"use_case": "summarize", "input": "Count."})
    iterator = iter(stream)
    assert next(iterator)["type"] == "start"
    assert next(iterator)["type"] == "delta"
    stream.close()  # what the HTTP layer does when a write fails
    body = record[0]
    assert body.closed.is_set()
    sent = body.sent
    import time

    time.sleep(0.05)
    assert body.sent <= sent + 1 and body.sent < len(body.frames) // 2  # no more tokens read (or paid for)


def test_chat_stream_stores_the_screened_full_reply(aws: fakes.FakeAws, streams: Any) -> None:
    comprehend(aws)
    stored: list[dict] = []
    aws.on("dynamodb", "TransactWriteItems", lambda req, p: (stored.append(p), fakes.aws_response(req, 200, {}))[1])
    aws.on("bedrock-runtime", "ConverseStream", streamed(converse_frames(TOKENS)))
    events = events_of(streams()("chat", {"message": "Where do I write to?"}))
    assert events[0]["conversation_id"] and events[-1]["turn"] == 1
    items = stored[0]["TransactItems"]
    reply_item = next(item["Put"]["Item"] for item in items if item["Put"]["Item"]["role"]["S"] == "assistant")
    assert reply_item["text"]["S"] == text_of(events)
    assert "[EMAIL]" in reply_item["text"]["S"] and "ann.lee" not in reply_item["text"]["S"]


def test_inferentia_stream_reads_tgi_lines_and_applies_the_guardrail_per_window(aws: fakes.FakeAws, streams: Any) -> None:
    comprehend(aws)
    tokens = ["Paris ", "is the ", "capital. ", "It is ", "lovely in ", "spring.", "\nUser:", " more"]
    lines = [f"data:{json.dumps({'token': {'text': t, 'special': False}})}\n\n" for t in tokens]
    lines.append("data:" + json.dumps({"token": {"text": "", "special": True}, "generated_text": "x",
                                        "details": {"finish_reason": "eos_token", "generated_tokens": 8}}) + "\n\n")
    aws.on("sagemaker-runtime", "InvokeEndpointWithResponseStream", streamed(payload_part_frames(lines, split=5)))
    events = events_of(streams()("generate", {"use_case": "summarize", "input": "Capital of France?", "model": fakes.TGI}))
    assert text_of(events) == "Paris is the capital. It is lovely in spring."
    assert events[-1]["type"] == "done"
    body = json.loads(aws.payloads("sagemaker-runtime", "InvokeEndpointWithResponseStream")[0]["_raw"]
                      if "_raw" in aws.payloads("sagemaker-runtime", "InvokeEndpointWithResponseStream")[0]
                      else json.dumps(aws.payloads("sagemaker-runtime", "InvokeEndpointWithResponseStream")[0]))
    assert body["stream"] is True
    guardrail_sources = [p["source"] for p in aws.payloads("bedrock-runtime", "ApplyGuardrail")]
    assert guardrail_sources[0] == "INPUT" and guardrail_sources.count("OUTPUT") >= 1


def test_validation_and_input_screening_fail_before_the_stream_with_the_buffered_error(
    aws: fakes.FakeAws, streams: Any, safety_fake: Any
) -> None:
    from orchestrator.errors import ApiError

    open_stream = streams(safety_fake)
    with pytest.raises(ApiError) as invalid:
        open_stream("generate", {"use_case": "nope", "input": "x"})
    assert invalid.value.status == 400
    with pytest.raises(ApiError) as blocked:
        open_stream("generate", {"use_case": "summarize", "input": "BLOCKME now"})
    assert blocked.value.code == "blocked_by_safety"
    assert aws.count("bedrock-runtime", "ConverseStream") == 0


def test_the_buffered_handler_answers_a_streamed_route_in_one_event_stream_body(
    aws: fakes.FakeAws, handler_module: Any
) -> None:
    aws.on("bedrock-runtime", "ConverseStream", streamed(converse_frames(TOKENS)))
    event = fakes.api_event("POST", "/v1/generate/stream", {"use_case": "summarize", "input": "Summarize."})
    response = handler_module.handler(event, fakes.LambdaContext())
    assert response["statusCode"] == 200
    headers = {**(response.get("headers") or {}), **(response.get("multiValueHeaders") or {})}
    assert headers["Content-Type"] in ("text/event-stream", ["text/event-stream"])
    from genai_client.sse import events as decode

    events = list(decode(response["body"].splitlines(keepends=True)))
    assert events[0]["type"] == "start" and events[-1]["type"] == "done"
    assert text_of(events) == "".join(TOKENS)
