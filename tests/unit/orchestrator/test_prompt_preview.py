"""POST /v1/prompt/preview: generate's body, generate's screening and retrieval, the prompt the model
would get (masked), and no model call."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from localaws import fakes

from .test_orchestrator_grounded import ALARMS, DEPLOY, OFF_TOPIC, kb_env

BODY = {
    "use_case": "summarize",
    "input": "Ask dana@example.com to approve the 2027 budget by Friday.",
    "context": "Dana's deputy is eve@example.org.",
    "instructions": {"tone": "formal", "constraints": ["one sentence"]},
    "examples": [{"input": "The meeting moved to Monday.", "output": "Meeting: Monday."}],
    "parameters": {"max_new_tokens": 100, "temperature": 0.3},
}


@pytest.fixture
def grounded(monkeypatch: pytest.MonkeyPatch, runtime_for: Any, safety_fake: fakes.FakeSafetyFilter) -> None:
    monkeypatch.setenv("KNOWLEDGE_BASES", kb_env())
    runtime_for(safety_fake)


def converse_prompt(aws: fakes.FakeAws, index: int = 0) -> dict[str, Any]:
    """What the model received: Converse's system text and messages as the preview shows them."""
    sent = aws.payloads("bedrock-runtime", "Converse")[index]
    return {
        "system": sent["system"][0]["text"] if sent.get("system") else None,
        "messages": [
            {"role": m["role"], "text": next(c["text"] for c in m["content"] if "text" in c)} for m in sent["messages"]
        ],
    }


def test_the_preview_is_exactly_what_generate_sends_the_model_masked(call, aws, safety_fake) -> None:
    status, preview, _ = call("POST", "/v1/prompt/preview", BODY)
    assert status == 200, preview
    assert aws.count("bedrock-runtime", "Converse") == 0  # no model call
    assert "dana@example.com" not in json.dumps(preview) and "eve@example.org" not in json.dumps(preview)
    assert "[EMAIL_1]" in preview["prompt"]["messages"][0]["text"]

    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("Please approve the budget."))
    status, generated, _ = call("POST", "/v1/generate", BODY)
    assert status == 200, generated
    assert preview["prompt"] == converse_prompt(aws)
    assert preview["parameters"] == generated["parameters"]
    assert (preview["use_case"], preview["model"], preview["backend"]) == ("summarize", fakes.HAIKU, "bedrock")
    assert preview["screening"]["verdict"] == "allowed" and preview["model_call"] is True
    assert "grounding" not in preview
    chars = len(preview["prompt"]["system"]) + sum(len(m["text"]) for m in preview["prompt"]["messages"])
    assert preview["estimated_input_tokens"] == (chars + 3) // 4
    # The same screening as generate: one call over the same caller text.
    assert safety_fake.inputs[0] == safety_fake.inputs[1]


def test_a_blocked_input_is_answered_as_generate_answers_it(call, aws) -> None:
    body = {**BODY, "input": "BLOCKME now"}
    preview = call("POST", "/v1/prompt/preview", body)
    generate = call("POST", "/v1/generate", body)
    assert preview[0] == generate[0] == 422
    assert preview[1]["error"] == generate[1]["error"]
    assert aws.count("bedrock-runtime", "Converse") == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "use_case": "nope"}, "use_case"),
        ({**BODY, "parameters": {"temperature": 7}}, "parameters.temperature"),
        ({**BODY, "unexpected": 1}, None),
    ],
)
def test_validation_errors_are_generates(call, body: dict, field: str | None) -> None:
    preview, generate = call("POST", "/v1/prompt/preview", body), call("POST", "/v1/generate", body)
    assert preview[0] == generate[0] == 400
    assert preview[1]["error"] == generate[1]["error"]
    if field:
        assert preview[1]["error"]["field"] == field


def test_a_grounded_preview_retrieves_and_shows_the_documents_generate_would_send(call, aws, grounded) -> None:
    aws.on(
        "bedrock-agent-runtime",
        "Retrieve",
        fakes.retrieve_reply(fakes.chunk(ALARMS, 0.71), fakes.chunk(DEPLOY, 0.92), fakes.chunk(OFF_TOPIC, 0.12)),
    )
    body = {"use_case": "answer", "input": "How do I deploy dev?"}
    status, preview, _ = call("POST", "/v1/prompt/preview", body)
    assert status == 200, preview
    assert aws.count("bedrock-agent-runtime", "Retrieve") == 1
    assert aws.count("bedrock-runtime", "ApplyGuardrail") == 0  # the grounding check judges an answer: none yet
    assert DEPLOY in preview["prompt"]["messages"][0]["text"] and OFF_TOPIC not in preview["prompt"]["messages"][0]["text"]
    assert preview["grounding"]["knowledge_base"] == "operations-guide" and preview["grounding"]["documents"] == 2
    assert preview["model_call"] is True

    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("Run make deploy ENV=dev [1]."))
    aws.on("bedrock-runtime", "ApplyGuardrail", fakes.grounding_reply(0.93, 0.88))
    assert call("POST", "/v1/generate", body)[0] == 200
    assert preview["prompt"] == converse_prompt(aws)


def test_a_grounded_preview_without_documents_says_no_model_would_be_called(call, aws, grounded) -> None:
    aws.on("bedrock-agent-runtime", "Retrieve", fakes.retrieve_reply(fakes.chunk(OFF_TOPIC, 0.12)))
    status, preview, _ = call("POST", "/v1/prompt/preview", {"use_case": "answer", "input": "How do I deploy dev?"})
    assert status == 200, preview
    assert preview["model_call"] is False
    assert preview["grounding"]["answered"] is False and preview["grounding"]["reason"] == "no_documents"


def test_a_sagemaker_preview_shows_the_rendered_prompt_the_endpoint_gets(call, aws) -> None:
    aws.on("sagemaker-runtime", "InvokeEndpoint", fakes.sagemaker_reply([{"generated_text": "ok"}]))
    body = {**BODY, "model": fakes.TGI}
    status, preview, _ = call("POST", "/v1/prompt/preview", body)
    assert status == 200, preview
    assert preview["backend"] == "sagemaker" and aws.count("sagemaker-runtime", "InvokeEndpoint") == 0
    assert call("POST", "/v1/generate", body)[0] == 200
    (sent,) = aws.payloads("sagemaker-runtime", "InvokeEndpoint")
    assert preview["prompt"]["rendered"] == sent["inputs"]


def test_an_image_is_shown_by_format_and_size_never_its_bytes(call, aws) -> None:
    encoded = base64.b64encode(fakes.PNG_1X1).decode()
    body = {"use_case": "sketch_reasoning", "input": "What does this flowchart do?", "image": {"format": "png", "data": encoded}}
    status, preview, _ = call("POST", "/v1/prompt/preview", body)
    assert status == 200, preview
    assert preview["prompt"]["messages"][-1]["image"] == {"format": "png", "bytes": len(fakes.PNG_1X1)}
    assert encoded not in json.dumps(preview)
