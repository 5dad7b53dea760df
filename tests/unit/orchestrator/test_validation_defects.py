"""Issue 12, items 8, 10 and 13: request validation under hostile input.

8: a request of exactly MAX_INPUT_CHARS is accepted (limits count what the caller sent, not the
   separators or placeholders the service adds before screening);
10: a numeric field of any magnitude (hundreds of digits, NaN, Infinity) is a 400 naming the field;
13: a field name the caller invented is data: never logged, and shown in the error only as a short
    identifier.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from localaws import fakes

from .test_orchestrator_chat import table  # noqa: F401 - fixture
from .test_orchestrator_safety_integration import comprehend_handlers

MAX_CHARS = int(fakes.ENV["MAX_INPUT_CHARS"])
GENERATE = {"use_case": "summarize", "input": "The board met on Monday and approved the budget."}


@pytest.fixture
def real_safety_at_the_api_limit(handler_module: Any, runtime_for: Any):
    """The real safety package with its limit equal to the API's (what the shipped config does),
    built by the composition root."""
    config = json.dumps({"pii_mode": "pseudonymize", "max_input_chars": MAX_CHARS})
    return runtime_for(SAFETY_CONFIG=config).service.safety.filter


def _words(chars: int) -> str:
    return ("All is well here. " * (chars // 18 + 1))[:chars]


# --------------------------------------------------------------------------- item 8
def test_generate_input_of_exactly_the_maximum_is_accepted(call, aws, real_safety_at_the_api_limit) -> None:
    comprehend_handlers(aws)
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("Fine."))
    status, body, _ = call("POST", "/v1/generate", {"use_case": "summarize", "input": _words(MAX_CHARS)})
    assert status == 200, body


def test_generate_parts_summing_to_exactly_the_maximum_are_accepted(call, aws, real_safety_at_the_api_limit) -> None:
    comprehend_handlers(aws)
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("Fine."))
    request = {
        "use_case": "summarize",
        "input": _words(MAX_CHARS - 1000),
        "context": _words(600),
        "examples": [{"input": _words(100), "output": _words(100)}],
        "instructions": {"tone": "plain", "constraints": [_words(195)]},
    }
    status, body, _ = call("POST", "/v1/generate", request)
    assert status == 200, body
    status, body, _ = call("POST", "/v1/generate", {**request, "context": _words(601)})
    assert status == 413 and body["error"]["code"] == "payload_too_large"


def test_chat_message_of_exactly_the_maximum_is_accepted_in_a_conversation(
    call, aws, table, real_safety_at_the_api_limit  # noqa: F811 - fixture
) -> None:
    comprehend_handlers(aws)
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("Noted."))
    # The history holds a placeholder, so the screening also carries the reserved placeholders.
    status, first, _ = call("POST", "/v1/chat", {"message": "Write to erin@example.com please."})
    assert status == 200, first
    follow_up = {"conversation_id": first["conversation_id"], "message": _words(MAX_CHARS)}
    status, body, _ = call("POST", "/v1/chat", follow_up)
    assert status == 200, body


# --------------------------------------------------------------------------- item 10
@pytest.mark.parametrize(
    ("key", "literal"),
    [
        ("temperature", "9" * 400),
        ("top_p", "1" + "0" * 300),
        ("max_new_tokens", "9" * 500),
        ("top_k", "7" * 5000),  # past Python's 4300-digit limit for int conversion
    ],
)
def test_a_number_of_hundreds_of_digits_is_400_naming_the_field(call, aws, key, literal) -> None:
    raw = '{"use_case": "summarize", "input": "x", "parameters": {"sampling": "random", "' + key + '": ' + literal + "}}"
    status, body, _ = call("POST", "/v1/generate", raw_body=raw)
    assert status == 400 and body["error"]["field"] == f"parameters.{key}", body
    assert aws.calls == []


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999", "1" + "0" * 400 + ".5"])
def test_non_finite_or_overflowing_numbers_are_400_naming_the_field(call, aws, literal) -> None:
    raw = '{"use_case": "summarize", "input": "x", "parameters": {"sampling": "random", "temperature": ' + literal + "}}"
    status, body, _ = call("POST", "/v1/generate", raw_body=raw)
    assert status == 400 and body["error"]["field"] == "parameters.temperature", body
    assert literal not in body["error"]["message"]


def test_huge_numbers_in_chat_parameters_are_400(call) -> None:
    raw = '{"message": "hi", "parameters": {"sampling": "random", "top_p": ' + "9" * 300 + "}}"
    status, body, _ = call("POST", "/v1/chat", raw_body=raw)
    assert status == 400 and body["error"]["field"] == "parameters.top_p"


# --------------------------------------------------------------------------- item 13
@pytest.mark.parametrize(
    ("body", "secret"),
    [
        ({**GENERATE, "carol.smith@example.com": "x"}, "carol.smith@example.com"),
        ({**GENERATE, "parameters": {"dave@example.org": 1}}, "dave@example.org"),
        # Digits with a space: a random request id (hex) can never contain it.
        ({**GENERATE, "instructions": {"+44 20 7946 0958": "x"}}, "7946 0958"),
        ({**GENERATE, "x" * 5000: 1}, "x" * 40),
    ],
)
def test_unknown_field_names_are_neither_logged_nor_echoed(call, captured_output, body, secret) -> None:
    status, result, _ = call("POST", "/v1/generate", body)
    assert status == 400 and result["error"]["code"] == "validation_error"
    assert secret not in json.dumps(result)
    assert secret not in captured_output()
    assert len(result["error"]["message"]) < 400


def test_an_identifier_like_unknown_field_is_named_in_the_message_only_with_a_suggestion(call, captured_output) -> None:
    status, result, _ = call("POST", "/v1/generate", {**GENERATE, "parameters": {"temprature": 0.5}})
    error = result["error"]
    assert status == 400 and error["field"] == "parameters"
    assert '"temprature"' in error["message"] and "temperature" in error["message"]
    assert "temprature" not in captured_output()


def test_an_api_field_in_the_wrong_request_is_named_as_the_field(call) -> None:
    status, result, _ = call("POST", "/v1/compare", {**GENERATE, "model": fakes.HAIKU, "models": [fakes.HAIKU, fakes.NOVA]})
    assert status == 400 and result["error"]["field"] == "model"
