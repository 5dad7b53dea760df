"""No prompt, response or PII text reaches the logs, metrics or stdout, even at DEBUG."""

from __future__ import annotations

import pytest

from localaws import fakes

from .test_orchestrator_safety_integration import comprehend_handlers

SECRET_IN = "zebra-quartz-input-4711"
SECRET_CTX = "walrus-context-0815"
SECRET_OUT = "narwhal-output-2024"
EMAIL = "ivy.private@example.com"


@pytest.fixture
def debug_logging(handler_module, monkeypatch):
    from orchestrator.observability import logger

    logger.setLevel("DEBUG")
    yield
    logger.setLevel("INFO")


def assert_clean(text: str) -> None:
    for secret in (SECRET_IN, SECRET_CTX, SECRET_OUT, EMAIL):
        assert secret not in text, secret
    assert "Traceback" not in text


def test_generate_chat_compare_and_errors_log_no_text(call, aws, captured_output, debug_logging, no_retry_sleep) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply(f"{SECRET_OUT} for {EMAIL}"))
    body = {
        "use_case": "answer",
        "input": f"{SECRET_IN} {EMAIL}",
        "context": SECRET_CTX,
        "examples": [{"input": SECRET_IN, "output": SECRET_OUT}],
        "instructions": {"constraints": [SECRET_CTX]},
    }
    status, result, _ = call("POST", "/v1/generate", body)
    assert status == 200 and SECRET_OUT in result["output"]
    assert call("POST", "/v1/compare", {**body, "models": [fakes.HAIKU, fakes.NOVA]})[0] == 200
    aws.on("bedrock-runtime", "Converse", lambda req, _: fakes.aws_error(req, 400, "ValidationException", SECRET_IN))
    assert call("POST", "/v1/generate", body)[0] == 502
    assert call("POST", "/v1/generate", {"use_case": "summarize", "input": f"BLOCKME {SECRET_IN}"})[0] == 422
    assert call("POST", "/v1/generate", {**body, "parameters": {"top_k": 9999}})[0] == 400
    out = captured_output()
    assert '"message":"model call completed"' in out and '"input_chars"' in out  # counts are logged
    assert_clean(out)


def test_real_safety_filter_logs_no_text(call, aws, runtime_for, captured_output, debug_logging) -> None:
    comprehend_handlers(aws)
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply(f"{SECRET_OUT} to {EMAIL}"))
    runtime_for()  # the real safety filter, built by the composition root
    status, _, _ = call("POST", "/v1/generate", {"use_case": "summarize", "input": f"{SECRET_IN} mail {EMAIL}"})
    assert status == 200
    out = captured_output()
    assert "safety screened" in out
    assert_clean(out)


def test_botocore_debug_dumps_are_silenced(handler_module) -> None:
    import logging

    assert logging.getLogger("botocore").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("urllib3").getEffectiveLevel() >= logging.WARNING
