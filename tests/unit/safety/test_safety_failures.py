"""Fail closed on every dependency error; fail open only when configured, and then say so."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from safety import SafetyBlocked, SafetyUnavailable

from .helpers import add_clean_input, guardrail_response, language_response, pii_entities, raiser, sleeper, toxicity_response

TEXT = "Please draft a short note to Marta Gómez about Tuesday's meeting agenda."
URL = "https://comprehend.eu-west-1.amazonaws.com/"

OPERATIONS = {
    "language": ("comprehend", "detect_dominant_language", "DetectDominantLanguage"),
    "pii": ("comprehend", "detect_pii_entities", "DetectPiiEntities"),
    "toxicity": ("comprehend", "detect_toxic_content", "DetectToxicContent"),
    "guardrail": ("bedrock", "apply_guardrail", "ApplyGuardrail"),
}

# (id, how to fail, expected status, expected code)
FAILURES = [
    ("throttling", ("client", "ThrottlingException", 400), 429, "safety_throttled"),
    ("too-many-requests", ("client", "TooManyRequestsException", 429), 429, "safety_throttled"),
    ("internal-5xx", ("client", "InternalServerException", 500), 503, "safety_unavailable"),
    ("unavailable-503", ("client", "ServiceUnavailableException", 503), 503, "safety_unavailable"),
    ("access-denied", ("client", "AccessDeniedException", 403), 503, "safety_unavailable"),
    ("read-timeout", ("raise", ReadTimeoutError(endpoint_url=URL)), 503, "safety_timeout"),
    ("connect-timeout", ("raise", ConnectTimeoutError(endpoint_url=URL)), 503, "safety_timeout"),
    ("connection-error", ("raise", EndpointConnectionError(endpoint_url=URL)), 503, "safety_unavailable"),
    ("connection-closed", ("raise", ConnectionClosedError(endpoint_url=URL)), 503, "safety_unavailable"),
]


def _queue_happy_path(comprehend_stub, bedrock_stub, text: str) -> None:
    comprehend_stub.add_response("detect_dominant_language", language_response("en"), None)
    comprehend_stub.add_response("detect_pii_entities", pii_entities(text, ("NAME", "Marta Gómez")), None)
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1), None)
    bedrock_stub.add_response("apply_guardrail", guardrail_response(False), None)


def _break(check, how, comprehend, bedrock, comprehend_stub, bedrock_stub) -> None:
    client_name, method, operation = OPERATIONS[check]
    client, stub = (comprehend, comprehend_stub) if client_name == "comprehend" else (bedrock, bedrock_stub)
    if how[0] == "client":  # replace the happy-path response by a service error
        stub._queue = type(stub._queue)(item for item in stub._queue if item["operation_name"] != operation)
        stub.add_client_error(method, service_error_code=how[1], service_message="boom", http_status_code=how[2])
    else:  # the request is built and validated, then the transport fails
        raiser(client, operation, how[1])


@pytest.mark.parametrize("check", list(OPERATIONS))
@pytest.mark.parametrize(("how", "status", "code"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES])
def test_every_dependency_error_fails_closed(
    make_filter, comprehend, bedrock, comprehend_stub, bedrock_stub, check, how, status, code
):
    _queue_happy_path(comprehend_stub, bedrock_stub, TEXT)
    _break(check, how, comprehend, bedrock, comprehend_stub, bedrock_stub)
    with pytest.raises(SafetyUnavailable) as caught:
        make_filter().screen_input(TEXT, guardrail=True)
    error = caught.value
    assert (error.status, error.code, error.check, error.retryable) == (status, code, check, True)
    assert "Marta" not in str(error.to_dict()) and "boom" not in error.message


@pytest.mark.parametrize("check", ["pii", "toxicity", "guardrail"])
def test_model_output_is_not_returned_when_a_check_fails(make_filter, comprehend, bedrock, comprehend_stub, bedrock_stub, check):
    safety_filter = make_filter()
    add_clean_input(comprehend_stub, TEXT)
    screening = safety_filter.screen_input(TEXT, language="en")
    _queue_happy_path(comprehend_stub, bedrock_stub, TEXT)
    _break(check, ("client", "ThrottlingException", 400), comprehend, bedrock, comprehend_stub, bedrock_stub)
    with pytest.raises(SafetyUnavailable):
        safety_filter.screen_output(TEXT, screening=screening, guardrail=True)


def test_moderate_also_fails_closed(make_filter, comprehend, bedrock, comprehend_stub, bedrock_stub):
    _queue_happy_path(comprehend_stub, bedrock_stub, TEXT)
    _break("pii", ("client", "InternalServerException", 500), comprehend, bedrock, comprehend_stub, bedrock_stub)
    with pytest.raises(SafetyUnavailable):
        make_filter().moderate(TEXT)


def test_a_slow_check_hits_the_deadline(make_filter, comprehend, comprehend_stub):
    add_clean_input(comprehend_stub, TEXT)
    sleeper(comprehend, "DetectToxicContent", 2.0)
    started = time.monotonic()
    with pytest.raises(SafetyUnavailable) as caught:
        make_filter(timeout_seconds=0.15).screen_input(TEXT, language="en")
    assert time.monotonic() - started < 1.5  # gave up at its deadline, long before the 2 s check would answer
    assert (caught.value.code, caught.value.check, caught.value.status) == ("safety_timeout", "toxicity", 503)


def test_a_slow_language_detection_hits_the_deadline(make_filter, comprehend, comprehend_stub):
    # The detection waits on its own future's result(timeout): a slow call still ends at the filter's deadline.
    comprehend_stub.add_response("detect_dominant_language", language_response("en"), None)
    sleeper(comprehend, "DetectDominantLanguage", 2.0)
    started = time.monotonic()
    with pytest.raises(SafetyUnavailable) as caught:
        make_filter(timeout_seconds=0.15, language="auto").screen_input(TEXT)
    assert time.monotonic() - started < 1.5
    assert (caught.value.code, caught.value.check, caught.value.status) == ("safety_timeout", "language", 503)


def test_fail_open_passes_and_reports_the_skipped_check(make_filter, comprehend, bedrock, comprehend_stub, bedrock_stub):
    _queue_happy_path(comprehend_stub, bedrock_stub, TEXT)
    _break("toxicity", ("client", "ThrottlingException", 400), comprehend, bedrock, comprehend_stub, bedrock_stub)
    screening = make_filter(fail_open=True).screen_input(TEXT, language="en")
    assert screening.text == TEXT.replace("Marta Gómez", "[NAME]")  # PII still ran
    assert screening.analysis["checks"]["toxicity"] == "skipped"
    assert screening.analysis["checks"]["pii"] == "comprehend"
    assert screening.analysis["skipped"] == [{"check": "toxicity", "reason": "throttled"}]


def test_fail_open_on_pii_and_language(make_filter, comprehend, bedrock, comprehend_stub, bedrock_stub):
    _queue_happy_path(comprehend_stub, bedrock_stub, TEXT)
    _break("language", ("raise", EndpointConnectionError(endpoint_url=URL)), comprehend, bedrock, comprehend_stub, bedrock_stub)
    _break("pii", ("raise", ReadTimeoutError(endpoint_url=URL)), comprehend, bedrock, comprehend_stub, bedrock_stub)
    screening = make_filter(fail_open=True).screen_input(TEXT)
    assert screening.language == "en"
    assert screening.analysis["checks"]["language"] == "skipped"
    assert screening.analysis["checks"]["pii"] == "skipped"
    assert screening.analysis["skipped"] == [{"check": "pii", "reason": "timeout"}]
    assert screening.text == TEXT  # explicitly allowed by fail_open, and reported


def test_a_block_wins_over_an_unavailable_check(make_filter, comprehend, bedrock, comprehend_stub, bedrock_stub):
    comprehend_stub.add_client_error("detect_pii_entities", service_error_code="InternalServerException", http_status_code=500)
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1, toxicity=0.99), None)
    with pytest.raises(SafetyBlocked) as caught:
        make_filter().screen_input(TEXT, language="en")
    assert caught.value.check == "toxicity"


def test_a_closed_filter_fails_closed(make_filter, comprehend_stub):
    safety_filter = make_filter()
    safety_filter.close()
    with pytest.raises(SafetyUnavailable):
        safety_filter.screen_input(TEXT, language="en")


def test_a_closed_filter_fails_closed_in_language_detection_too(make_filter, comprehend_stub):
    # language "auto" on a text long enough to detect: the detection call is the first to run.
    safety_filter = make_filter(language="auto")
    safety_filter.close()
    for call in (safety_filter.screen_input, safety_filter.moderate):
        with pytest.raises(SafetyUnavailable) as caught:
            call(TEXT)
        assert caught.value.check == "language"


def test_a_malformed_response_fails_closed(make_filter, comprehend_stub):
    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, None)
    comprehend_stub.add_response("detect_toxic_content", {"ResultList": []}, None)  # 0 results for 1 segment
    with pytest.raises(SafetyUnavailable) as caught:
        make_filter().screen_input(TEXT, language="en")
    assert caught.value.check == "toxicity"


def test_out_of_range_offsets_are_clamped_not_fatal(make_filter, comprehend_stub):
    overflowing = {"Entities": [{"Type": "NAME", "BeginOffset": TEXT.index("Marta"), "EndOffset": 10_000, "Score": 0.9}]}
    add_clean_input(comprehend_stub, TEXT, pii=overflowing)
    screening = make_filter().screen_input(TEXT, language="en")
    assert screening.text == TEXT[: TEXT.index("Marta")] + "[NAME]"
