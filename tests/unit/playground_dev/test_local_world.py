"""``python -m playground_dev`` end to end over HTTP: the orchestrator's real handler and streaming app behind the
dev server, AWS answered by the local fakes. Each screen of the playground has something to show: masked PII,
a blocked input, a throttled request with its Retry-After, one compare result per model, a grounded answer with
citations, a stream that arrives in pieces, conversations owned by the stub user."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from playground_dev import local_aws
from playground_dev.process import DevServer

HAIKU, NOVA = local_aws.MODELS[0]["id"], local_aws.MODELS[1]["id"]


@pytest.fixture(scope="module")
def address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    dist: Path = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text("<!doctype html><title>app</title>")
    server = DevServer(dist)
    try:
        yield urlsplit(server.url).netloc
    finally:
        server.stop()


def post(address: str, path: str, body: dict[str, Any], **headers: str) -> tuple[int, dict[str, Any], http.client.HTTPResponse]:
    connection = http.client.HTTPConnection(address, timeout=30)
    connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers})
    response = connection.getresponse()
    return response.status, json.loads(response.read()), response


def test_pii_is_found_and_masked(address: str) -> None:
    status, body, _ = post(address, "/v1/moderate", {"text": local_aws.SAMPLE_PII})
    assert status == 200, body
    pii = body["moderation"]["pii"]
    assert {"EMAIL", "PHONE", "CREDIT_DEBIT_NUMBER"} <= {entity["type"] for entity in pii["entities"]}
    assert "ann.lee@example.com" not in json.dumps(pii.get("masked_text", "")) and pii["masked_count"] >= 3


def test_a_toxic_input_is_blocked(address: str) -> None:
    status, body, _ = post(address, "/v1/generate", {"use_case": "summarize", "input": local_aws.SAMPLE_TOXIC})
    assert status == 422 and body["error"]["code"] == "blocked_by_safety" and body["request_id"]


def test_the_throttle_marker_gives_a_429_with_retry_after_and_request_id(address: str) -> None:
    status, body, response = post(address, "/v1/generate", {"use_case": "summarize", "input": f"{local_aws.THROTTLE_MARKER} now"})
    assert status == 429 and body["error"]["code"] == "throttled"
    assert int(response.getheader("Retry-After")) > 0 and response.getheader("x-amzn-RequestId") == body["request_id"]


def test_compare_answers_once_per_model_each_at_its_own_pace(address: str) -> None:
    status, body, _ = post(address, "/v1/compare", {"use_case": "summarize", "input": "The board met.", "models": [HAIKU, NOVA]})
    assert status == 200, body
    assert [result["model"] for result in body["results"]] == [HAIKU, NOVA]
    assert all(result["output"] and result["usage"]["output_tokens"] > 0 for result in body["results"])
    assert body["results"][0]["latency_ms"] != body["results"][1]["latency_ms"]


def test_the_answer_use_case_is_grounded_in_the_sample_corpus_with_citations(address: str) -> None:
    status, body, _ = post(address, "/v1/generate", {"use_case": "answer", "input": "How do I deploy an environment?"})
    assert status == 200, body
    assert body["citations"] and body["citations"][0]["source"].startswith(local_aws.CORPUS_BUCKET)
    assert body["grounding"]["passed"] is True and "[1]" in body["output"]


def test_a_stream_arrives_in_pieces(address: str) -> None:
    connection = http.client.HTTPConnection(address, timeout=30)
    connection.request("POST", "/v1/generate/stream", body=json.dumps({"use_case": "summarize", "input": "The board met."}),
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
    reads = []
    while chunk := response.read1(65536):
        reads.append(chunk.decode())
    events = [json.loads(line[6:]) for line in "".join(reads).splitlines() if line.startswith("data: ")]
    assert events[0]["type"] == "start" and events[-1]["type"] == "done"
    assert len([read for read in reads if '"delta"' in read]) >= 3  # the windows were sent as they were screened


def test_conversations_belong_to_the_stub_user(address: str) -> None:
    status, first, _ = post(address, "/v1/chat", {"message": "Hello"})
    assert status == 200 and first["turn"] == 1
    status, again, _ = post(address, "/v1/chat", {"message": "Again", "conversation_id": first["conversation_id"]})
    assert status == 200 and again["history_turns_sent"] == 2
    status, other, _ = post(address, "/v1/chat", {"message": "Mine?", "conversation_id": first["conversation_id"]},
                            **{"x-playground-user": "bob"})
    assert status == 404 and other["error"]["code"] == "conversation_not_found"



def test_the_conversation_routes_list_read_and_delete_through_the_dev_server(address: str) -> None:
    def call(method: str, path: str, **headers: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(address, timeout=30)
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()

    status, started, _ = post(address, "/v1/chat", {"message": "List me"})
    assert status == 200
    conversation_id = started["conversation_id"]
    status, raw = call("GET", "/v1/conversations?limit=50")
    assert status == 200 and conversation_id in [c["conversation_id"] for c in json.loads(raw)["conversations"]]
    assert call("GET", f"/v1/conversations/{conversation_id}", **{"x-playground-user": "bob"})[0] == 404
    assert call("DELETE", f"/v1/conversations/{conversation_id}")[0] == 204
    assert call("GET", f"/v1/conversations/{conversation_id}")[0] == 404
