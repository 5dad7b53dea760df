"""Issue 12 item 15: POST /v1/compare answers with a failure status when no model answered.

Every slot failed for one reason -> that reason's status (429 with Retry-After, 503, 504, ...);
mixed reasons -> 502 ``no_model_answered``. Each slot's failure stays in ``error.results``.
"""

from __future__ import annotations

from localaws import fakes

GENERATE = {"use_case": "summarize", "input": "The board met on Monday and approved the budget."}
MODELS = [fakes.HAIKU, fakes.NOVA, fakes.LLAMA]


def test_every_model_throttled_is_429_with_retry_after(call, aws, no_retry_sleep) -> None:
    aws.on("bedrock-runtime", "Converse", lambda req, p: fakes.aws_error(req, 429, "ThrottlingException"))
    status, body, headers = call("POST", "/v1/compare", {**GENERATE, "models": MODELS})
    assert status == 429 and headers.get("Retry-After")
    assert body["error"]["code"] == "throttled"
    assert [slot["model"] for slot in body["error"]["results"]] == MODELS
    assert {slot["status"] for slot in body["error"]["results"]} == {429}


def test_every_model_unavailable_is_503(call, aws, no_retry_sleep) -> None:
    aws.on("bedrock-runtime", "Converse", lambda req, p: fakes.aws_error(req, 503, "ServiceUnavailableException"))
    status, body, _ = call("POST", "/v1/compare", {**GENERATE, "models": MODELS})
    assert status == 503 and body["error"]["code"] == "dependency_unavailable"


def test_mixed_failures_are_502_and_name_each_slot(call, aws, no_retry_sleep) -> None:
    def converse(req, payload):
        if fakes.model_of(req) == fakes.LLAMA:
            return fakes.aws_error(req, 424, "ModelErrorException")
        return fakes.aws_error(req, 429, "ThrottlingException")

    aws.on("bedrock-runtime", "Converse", converse)
    status, body, headers = call("POST", "/v1/compare", {**GENERATE, "models": MODELS})
    assert status == 502 and body["error"]["code"] == "no_model_answered"
    assert sorted(slot["status"] for slot in body["error"]["results"]) == [429, 429, 502]
    assert "Retry-After" not in headers


def test_one_success_keeps_200(call, aws, no_retry_sleep) -> None:
    def converse(req, payload):
        if fakes.model_of(req) == fakes.HAIKU:
            return fakes.converse_reply("ok")(req, payload)
        return fakes.aws_error(req, 429, "ThrottlingException")

    aws.on("bedrock-runtime", "Converse", converse)
    status, body, _ = call("POST", "/v1/compare", {**GENERATE, "models": MODELS})
    assert status == 200 and body["succeeded"] == 1
