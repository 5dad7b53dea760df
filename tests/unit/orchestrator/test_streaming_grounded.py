"""Grounded streams: the streamed generate and chat routes take the buffered routes' grounded steps
(Retrieve, the documents screened, the same prompt), send `citation` events for the documents the
streamed answer cites before `done`, answer the no-documents case without a model call, and end with
`error` (not_grounded) when the contextual grounding check rejects the whole screened answer."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from orchestrator import api_schema
from orchestrator.grounding import NO_DOCUMENTS_ANSWER

from localaws import fakes
from localaws.streams import converse_frames, streamed

from .test_orchestrator_chat import items, table  # noqa: F401 - the moto conversation table fixture
from .test_orchestrator_grounded import DEPLOY, OFF_TOPIC, grounded_aws, knowledge_bases  # noqa: F401 - fixtures
from .test_streaming import events_of, streams, text_of  # noqa: F401 - the stream service fixture

ANSWER = ["Run make deploy ", "ENV=dev once ", "make doctor passes [1]."]
CITATION = {"n": 1, "source": "s3://docs/sample-corpus/deploying.md", "score": 0.92, "excerpt": DEPLOY}
STREAM_EVENT = jsonschema.Draft202012Validator(api_schema.bundled("StreamEvent"))


@pytest.fixture
def streamed_aws(grounded_aws: fakes.FakeAws) -> fakes.FakeAws:  # noqa: F811
    """The buffered grounded tests' AWS (Retrieve, Converse, the grounding check), streaming ANSWER too."""
    grounded_aws.on("bedrock-runtime", "Converse", fakes.converse_reply("".join(ANSWER)))
    grounded_aws.on("bedrock-runtime", "ConverseStream", streamed(converse_frames(ANSWER)))
    return grounded_aws


def kinds(events: list[dict]) -> list[str]:
    for item in events:
        # The fake safety filter's analysis is not the real one's shape: the event's own fields are checked.
        grounding = {k: v for k, v in item.get("grounding", {}).items() if k != "safety"}
        STREAM_EVENT.validate({**item, **({"grounding": grounding} if grounding else {})})
    return [item["type"] for item in events]


def _collapsed(names: list[str]) -> list[str]:
    """Consecutive deltas as one (how many windows the answer took is not the point here)."""
    return [name for i, name in enumerate(names) if not (name == "delta" and i and names[i - 1] == "delta")]


def last_prompt(aws: fakes.FakeAws, operation: str) -> str:
    return aws.payloads("bedrock-runtime", operation)[-1]["messages"][-1]["content"][0]["text"]


def test_a_grounded_stream_sends_the_buffered_prompt_and_its_citations_before_done(
    call, streamed_aws: fakes.FakeAws, streams: Any, safety_fake  # noqa: F811
) -> None:
    body = {"use_case": "answer", "input": "How do I deploy dev?"}
    events = events_of(streams(safety_fake)("generate", body))
    assert _collapsed(kinds(events)) == ["start", "delta", "citation", "usage", "done"]
    assert text_of(events) == "".join(ANSWER)
    assert events[-3] == {"type": "citation", **CITATION}
    grounding = events[-1]["grounding"]
    assert grounding["knowledge_base"] == "operations-guide" and grounding["documents"] == 2
    assert grounding["passed"] is True and grounding["grounding"] == {"score": 0.93, "threshold": 0.75}
    # The grounding check judged the whole answer, with the retrieved documents as its source.
    (check,) = streamed_aws.payloads("bedrock-runtime", "ApplyGuardrail")
    assert check["content"][2]["text"]["text"] == "".join(ANSWER)
    assert DEPLOY in check["content"][0]["text"]["text"] and OFF_TOPIC not in check["content"][0]["text"]["text"]

    status, buffered, _ = call("POST", "/v1/generate", body)
    assert status == 200 and buffered["citations"] == [CITATION]
    assert last_prompt(streamed_aws, "ConverseStream") == last_prompt(streamed_aws, "Converse")
    assert f'<document n="1">{DEPLOY}</document>' in last_prompt(streamed_aws, "ConverseStream")


def test_a_grounded_stream_without_documents_answers_without_a_model_call(
    aws: fakes.FakeAws, streams: Any, safety_fake  # noqa: F811
) -> None:
    aws.on("bedrock-agent-runtime", "Retrieve", fakes.retrieve_reply(fakes.chunk(OFF_TOPIC, 0.2)))
    body = {"use_case": "answer", "input": "What is the SLA?", "retrieval": {"min_score": 0.5}}
    events = events_of(streams(safety_fake)("generate", body))
    assert kinds(events) == ["start", "delta", "done"]
    assert text_of(events) == NO_DOCUMENTS_ANSWER
    assert events[-1] == {
        "type": "done",
        "stop_reason": None,
        "request_id": "req-stream-1",
        "grounding": {"knowledge_base": "operations-guide", "documents": 0, "answered": False,
                      "reason": "no_documents", "min_score": 0.5},
    }
    assert aws.count("bedrock-runtime", "ConverseStream") == 0 and aws.count("bedrock-runtime", "ApplyGuardrail") == 0


def test_an_answer_the_grounding_check_rejects_ends_with_not_grounded_instead_of_done(
    streamed_aws: fakes.FakeAws, streams: Any, safety_fake  # noqa: F811
) -> None:
    streamed_aws.on("bedrock-runtime", "ApplyGuardrail", fakes.grounding_reply(0.2, 0.9))
    events = events_of(streams(safety_fake)("generate", {"use_case": "answer", "input": "How do I deploy dev?"}))
    assert kinds(events)[-1] == "error" and "done" not in kinds(events) and "citation" not in kinds(events)
    assert events[-1]["error"]["code"] == "not_grounded"


def test_a_grounded_chat_stream_cites_and_keeps_the_screened_turn(
    streamed_aws: fakes.FakeAws, streams: Any, safety_fake, table  # noqa: F811
) -> None:
    events = events_of(streams(safety_fake)("chat", {"message": "How do I deploy dev?", "knowledge_base": "operations-guide"}))
    assert _collapsed(kinds(events)) == ["start", "delta", "citation", "usage", "done"]
    assert events[-3] == {"type": "citation", **CITATION} and events[-1]["turn"] == 1
    stored = items(table, events[0]["conversation_id"])
    assert [item["text"]["S"] for item in stored] == ["How do I deploy dev?", "".join(ANSWER)]
    assert DEPLOY in json.dumps(streamed_aws.payloads("bedrock-runtime", "ConverseStream")[0]["messages"])


def test_a_grounded_chat_stream_without_documents_keeps_the_turn(
    aws: fakes.FakeAws, streams: Any, safety_fake, table  # noqa: F811
) -> None:
    aws.on("bedrock-agent-runtime", "Retrieve", fakes.retrieve_reply())
    events = events_of(streams(safety_fake)("chat", {"message": "What is the SLA?", "knowledge_base": "operations-guide"}))
    assert kinds(events) == ["start", "delta", "done"] and text_of(events) == NO_DOCUMENTS_ANSWER
    assert events[-1]["turn"] == 1 and events[-1]["grounding"]["reason"] == "no_documents"
    stored = items(table, events[0]["conversation_id"])
    assert [item["text"]["S"] for item in stored] == ["What is the SLA?", NO_DOCUMENTS_ANSWER]
    assert aws.count("bedrock-runtime", "ConverseStream") == 0
