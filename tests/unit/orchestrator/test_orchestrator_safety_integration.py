"""The orchestrator with the real safety package (lambdas/orchestrator/safety): Comprehend and
Bedrock answered at the HTTP edge, so requests are validated against the service models."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from localaws import fakes

from .test_orchestrator_chat import table  # noqa: F401 - the moto conversation table fixture

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def comprehend_handlers(aws: fakes.FakeAws, *, toxic: bool = False) -> None:
    aws.on(
        "comprehend",
        "DetectDominantLanguage",
        lambda req, p: fakes.aws_response(req, 200, {"Languages": [{"LanguageCode": "en", "Score": 0.99}]}),
    )

    def pii(req: Any, payload: dict) -> Any:
        entities = [
            {"Type": "EMAIL", "BeginOffset": m.start(), "EndOffset": m.end(), "Score": 0.99}
            for m in _EMAIL.finditer(payload["Text"])
        ]
        return fakes.aws_response(req, 200, {"Entities": entities})

    def toxicity(req: Any, payload: dict) -> Any:
        score = 0.97 if toxic else 0.01
        results = [{"Labels": [{"Name": "INSULT", "Score": score}], "Toxicity": score} for _ in payload["TextSegments"]]
        return fakes.aws_response(req, 200, {"ResultList": results})

    aws.on("comprehend", "DetectPiiEntities", pii)
    aws.on("comprehend", "DetectToxicContent", toxicity)
    aws.on(
        "bedrock-runtime",
        "ApplyGuardrail",
        lambda req, p: fakes.aws_response(
            req,
            200,
            {
                "usage": {
                    "topicPolicyUnits": 1,
                    "contentPolicyUnits": 1,
                    "wordPolicyUnits": 1,
                    "sensitiveInformationPolicyUnits": 1,
                    "sensitiveInformationPolicyFreeUnits": 0,
                    "contextualGroundingPolicyUnits": 0,
                },
                "action": "NONE",
                "outputs": [],
                "assessments": [],
            },
        ),
    )


@pytest.fixture
def real_safety(handler_module: Any, runtime_for: Any):
    # Built by the composition root from SAFETY_CONFIG + GUARDRAIL_* like in Lambda.
    return runtime_for().service.safety.filter


def test_generate_with_the_real_filter_masks_and_restores(call, aws, real_safety) -> None:
    comprehend_handlers(aws)
    aws.on("bedrock-runtime", "Converse", fakes.echo_converse)
    status, body, _ = call(
        "POST",
        "/v1/generate",
        {"use_case": "summarize", "input": "Write to erin@example.com today.", "context": "Erin's backup is frank@example.org."},
    )
    assert status == 200, body
    sent = aws.payloads("bedrock-runtime", "Converse")[0]["messages"][0]["content"][0]["text"]
    assert "erin@example.com" not in sent and "frank@example.org" not in sent
    assert "[EMAIL_1]" in sent and "[EMAIL_2]" in sent
    assert "erin@example.com" in body["output"] and "frank@example.org" in body["output"]
    assert body["safety"]["input"]["pii"]["masked_count"] == 2
    # one input screening: one PII call for input + context together (plus the output's)
    assert aws.count("comprehend", "DetectPiiEntities") == 2


def test_toxic_input_is_422_from_the_real_filter(call, aws, real_safety) -> None:
    comprehend_handlers(aws, toxic=True)
    status, body, _ = call("POST", "/v1/generate", {"use_case": "summarize", "input": "You are a complete idiot, all of you."})
    assert status == 422 and body["error"]["check"] == "toxicity"
    assert "idiot" not in json.dumps(body)
    assert aws.count("bedrock-runtime", "Converse") == 0


def test_moderate_with_the_real_filter(call, aws, real_safety) -> None:
    comprehend_handlers(aws)
    status, body, _ = call("POST", "/v1/moderate", {"text": "Contact me at gina@example.com please", "language": "en"})
    assert status == 200 and body["moderation"]["verdict"] == "allowed"
    assert body["moderation"]["pii"]["types"] == ["EMAIL"]


def test_inferentia_generate_applies_the_guardrail_to_input_and_output(call, aws, real_safety) -> None:
    comprehend_handlers(aws)
    aws.on(
        "sagemaker-runtime",
        "InvokeEndpoint",
        fakes.sagemaker_reply([{"generated_text": "Fine.", "details": {"finish_reason": "eos_token", "generated_tokens": 1}}]),
    )
    status, body, _ = call(
        "POST", "/v1/generate", {"use_case": "summarize", "input": "All is well here today.", "model": fakes.TGI}
    )
    assert status == 200, body
    sources = [p["source"] for p in aws.payloads("bedrock-runtime", "ApplyGuardrail")]
    assert sources == ["INPUT", "OUTPUT"]


def test_real_filter_output_storage_keeps_placeholders(call, aws, real_safety) -> None:
    """KeepPlaceholders gives the text to store; restore() the caller's copy."""
    import handler
    from orchestrator.safety_gate import KeepPlaceholders

    comprehend_handlers(aws)
    screening = real_safety.screen_input("Mail hank@example.com now please")
    stored = handler.RUNTIME.service.safety.screen_output("Sent to [EMAIL_1].", KeepPlaceholders(screening), guardrail=False)
    assert stored.text == "Sent to [EMAIL_1]."
    assert screening.restore(stored.text) == "Sent to hank@example.com."


def test_every_request_that_carries_the_guardrail_names_it_by_arn(call, aws, real_safety) -> None:
    """Issue 12 item 16: IAM compares ``bedrock:GuardrailIdentifier`` with ``<guardrail ARN>:<version>``;
    whether it normalizes a bare id is not documented, so every request sends the ARN."""
    from urllib.parse import quote, unquote

    comprehend_handlers(aws)
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("Fine."))
    aws.on(
        "sagemaker-runtime",
        "InvokeEndpoint",
        fakes.sagemaker_reply([{"generated_text": "Fine.", "details": {"finish_reason": "eos_token", "generated_tokens": 1}}]),
    )
    for model in (fakes.HAIKU, fakes.TGI):
        status, body, _ = call("POST", "/v1/generate", {"use_case": "summarize", "input": "All is well.", "model": model})
        assert status == 200, body
    (converse,) = aws.payloads("bedrock-runtime", "Converse")
    assert converse["guardrailConfig"]["guardrailIdentifier"] == fakes.GUARDRAIL_ARN
    applied = aws.urls("bedrock-runtime", "ApplyGuardrail")
    assert len(applied) == 2
    for url in applied:
        assert f"/guardrail/{quote(fakes.GUARDRAIL_ARN, safe='')}/version/{fakes.GUARDRAIL_VERSION}/apply" in url
        assert unquote(url.split("/guardrail/")[1].split("/version/")[0]) == fakes.GUARDRAIL_ARN


def test_a_given_language_replaces_detection_and_is_screened_in(call, aws, real_safety) -> None:
    comprehend_handlers(aws)
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("Fine."))
    status, body, _ = call("POST", "/v1/generate", {"use_case": "summarize", "input": "Write to erin@example.com today."})
    assert status == 200, body
    assert aws.count("comprehend", "DetectDominantLanguage") == 1  # no language given: detected

    status, body, _ = call(
        "POST", "/v1/generate", {"use_case": "summarize", "input": "Write to erin@example.com today.", "language": "en"}
    )
    assert status == 200, body
    assert aws.count("comprehend", "DetectDominantLanguage") == 1  # none for this request
    assert body["safety"]["input"]["checks"]["language"] == "request"
    assert body["safety"]["input"]["pii"]["masked_count"] == 1  # still screened: PII, toxicity in and out
    assert [p["LanguageCode"] for p in aws.payloads("comprehend", "DetectPiiEntities")][-2:] == ["en", "en"]
    assert aws.count("comprehend", "DetectToxicContent") == 4


def test_a_given_language_routes_the_screening_as_a_detected_one(call, aws, real_safety) -> None:
    # Spanish: PII in Spanish, toxicity by the guardrail (Comprehend's toxicity is English only).
    comprehend_handlers(aws)
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("Bien."))
    status, body, _ = call(
        "POST", "/v1/generate", {"use_case": "summarize", "input": "Escribe a erin@example.com hoy.", "language": "es"}
    )
    assert status == 200, body
    assert aws.count("comprehend", "DetectDominantLanguage") == 0
    assert [p["LanguageCode"] for p in aws.payloads("comprehend", "DetectPiiEntities")] == ["es", "es"]
    assert aws.count("comprehend", "DetectToxicContent") == 0
    assert [p["source"] for p in aws.payloads("bedrock-runtime", "ApplyGuardrail")] == ["INPUT", "OUTPUT"]


@pytest.mark.parametrize(
    ("language", "code"), [("fr", "unsupported_language"), ("english", "validation_error"), ("EN", "validation_error")]
)
def test_a_given_language_is_still_validated(call, aws, real_safety, language: str, code: str) -> None:
    comprehend_handlers(aws)
    for route, body in (
        ("/v1/generate", {"use_case": "summarize", "input": "Write to erin@example.com today.", "language": language}),
        ("/v1/chat", {"message": "Write to erin@example.com today.", "language": language}),
    ):
        status, answer, _ = call("POST", route, body)
        assert status == 400 and answer["error"]["code"] == code and answer["error"]["field"] == "language", answer
    assert aws.calls == []  # refused before any AWS call


def test_a_chat_turn_with_a_language_skips_detection(call, aws, real_safety, table) -> None:  # noqa: F811
    comprehend_handlers(aws)
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("Paris."))
    status, body, _ = call("POST", "/v1/chat", {"message": "What is the capital of France?", "language": "en"})
    assert status == 200, body
    assert aws.count("comprehend", "DetectDominantLanguage") == 0
    assert body["safety"]["input"]["checks"]["language"] == "request"
