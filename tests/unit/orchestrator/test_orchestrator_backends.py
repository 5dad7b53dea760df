"""Backends: Bedrock Converse and SageMaker TGI/LMI requests validated against the service
models with botocore's Stubber, response parsing and AWS error mapping."""

from __future__ import annotations

import io
import json
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from orchestrator.backends import ModelBackends, ModelRequest, bedrock, sagemaker
from orchestrator.deadline import Deadline
from orchestrator.errors import ApiError, Blocked, ModelError, from_aws_error
from orchestrator.parameters import resolve
from orchestrator.settings import Settings

from localaws import fakes

DEFAULTS = {"max_new_tokens": 256, "temperature": 0.3, "top_p": 0.9, "sampling": "random", "stop_sequences": []}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings.from_environment(fakes.ENV)


@pytest.fixture
def stubbed(aws: fakes.FakeAws):
    made: list[Stubber] = []

    def make(service: str) -> Stubber:
        client = botocore.session.get_session().create_client(
            service, region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        stubber = Stubber(client)
        stubber.activate()
        made.append(stubber)
        return stubber

    yield make
    for stubber in made:
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def converse_response(text: str = "Hi", stop: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {"inputTokens": 11, "outputTokens": 3, "totalTokens": 14},
        "metrics": {"latencyMs": 210},
    }


def test_bedrock_request_carries_guardrail_system_and_top_k(stubbed, settings) -> None:
    model = settings.model(fakes.HAIKU)
    params = resolve(DEFAULTS, {"top_k": 25}, model)
    stub = stubbed("bedrock-runtime")
    stub.add_response(
        "converse",
        converse_response("Done"),
        {
            "modelId": fakes.HAIKU,
            "messages": [{"role": "user", "content": [{"text": "Summarize this."}]}],
            "system": [{"text": "You are terse."}],
            "inferenceConfig": {"maxTokens": 256, "temperature": 0.3, "topP": 0.9},
            "additionalModelRequestFields": {"top_k": 25},
            "guardrailConfig": {"guardrailIdentifier": fakes.GUARDRAIL_ARN, "guardrailVersion": "3", "trace": "disabled"},
        },
    )
    result = bedrock.invoke(stub.client, model, ModelRequest("You are terse.", (("user", "Summarize this."),), params), settings)
    assert (result.text, result.input_tokens, result.output_tokens, result.stop_reason, result.latency_ms) == (
        "Done",
        11,
        3,
        "end_turn",
        210.0,
    )


def test_bedrock_uses_the_configured_target_and_alternating_turns_with_an_image(stubbed, settings) -> None:
    model = settings.model(fakes.SONNET45)
    params = resolve(DEFAULTS, None, model)
    stub = stubbed("bedrock-runtime")
    stub.add_response(
        "converse",
        converse_response(),
        {
            "modelId": fakes.SONNET45_PROFILE,
            "messages": [
                {"role": "user", "content": [{"text": "first"}]},
                {"role": "assistant", "content": [{"text": "reply"}]},
                {
                    "role": "user",
                    "content": [{"image": {"format": "png", "source": {"bytes": fakes.PNG_1X1}}}, {"text": "second"}],
                },
            ],
            "system": [{"text": "S"}],
            "inferenceConfig": {"maxTokens": 256, "temperature": 0.3},
            "guardrailConfig": ANY,
        },
    )
    turns = (("user", "first"), ("assistant", "reply"), ("user", "second"))
    bedrock.invoke(stub.client, model, ModelRequest("S", turns, params, image=("png", fakes.PNG_1X1)), settings)


@pytest.mark.parametrize("stop", ["guardrail_intervened", "content_filtered"])
def test_blocked_stop_reasons_are_422_without_the_canned_text(settings, stop: str) -> None:
    response = converse_response("Sorry, the model cannot answer this question.", stop)
    with pytest.raises(Blocked) as info:
        bedrock.parse_response(settings.model(fakes.HAIKU), response, 1.0)
    assert info.value.status == 422
    assert info.value.body()["check"] in ("guardrail", "model_content_filter")
    assert "Sorry" not in json.dumps(info.value.body())


def test_max_tokens_is_a_normal_answer(settings) -> None:
    result = bedrock.parse_response(settings.model(fakes.HAIKU), converse_response("Trunc", "max_tokens"), 1.0)
    assert (result.text, result.stop_reason) == ("Trunc", "max_tokens")


def test_malformed_output_is_a_model_error(settings) -> None:
    with pytest.raises(ModelError):
        bedrock.parse_response(settings.model(fakes.HAIKU), converse_response("x", "malformed_model_output"), 1.0)


# --------------------------------------------------------------------------- SageMaker
def streaming(body: Any) -> StreamingBody:
    data = json.dumps(body).encode()
    return StreamingBody(io.BytesIO(data), len(data))


@pytest.mark.parametrize(
    ("model_id", "response", "stop"),
    [
        (
            fakes.TGI,
            [{"generated_text": " Paris.", "details": {"finish_reason": "eos_token", "generated_tokens": 3}}],
            "end_turn",
        ),
        (fakes.LMI, {"generated_text": "Paris.", "details": {"finish_reason": "length", "generated_tokens": 3}}, "max_tokens"),
        (
            fakes.LMI,
            [{"generated_text": "Paris.", "details": {"finish reason": "stop_sequence", "generated_tokens": 3}}],
            "stop_sequence",
        ),
    ],
)
def test_sagemaker_tgi_and_lmi(stubbed, settings, model_id: str, response: Any, stop: str) -> None:
    model = settings.model(model_id)
    params = resolve(DEFAULTS, {"stop_sequences": ["User:"]}, model)
    stub = stubbed("sagemaker-runtime")
    stub.add_response(
        "invoke_endpoint",
        {"Body": streaming(response), "ContentType": "application/json"},
        {"EndpointName": model.endpoint, "ContentType": "application/json", "Accept": "application/json", "Body": ANY},
    )
    result = sagemaker.invoke(stub.client, model, ModelRequest("Be brief.", (("user", "Capital of France?"),), params))
    assert (result.text, result.output_tokens, result.stop_reason) == ("Paris.", 3, stop)
    assert result.estimated == ("input_tokens",)
    body = sagemaker.build_body(model, ModelRequest("Be brief.", (("user", "Capital of France?"),), params))
    assert body["inputs"] == "Be brief.\n\nUser: Capital of France?\nAssistant:"
    stop_key = "stop" if model.container == "tgi" else "stop_sequences"
    assert body["parameters"][stop_key] == ["User:"] and body["parameters"]["do_sample"] is True


def test_sagemaker_cuts_a_runaway_next_turn_and_estimates_missing_counts(settings) -> None:
    raw = json.dumps([{"generated_text": "Paris.\nUser: and Spain?"}]).encode()
    result = sagemaker.parse_body(settings.model(fakes.TGI), raw, 400, 5.0)
    assert result.text == "Paris." and result.input_tokens == 100
    assert set(result.estimated) == {"input_tokens", "output_tokens"}


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        json.dumps({"nope": 1}).encode(),
        json.dumps({"generated_text": "", "details": {"finish_reason": "error"}}).encode(),
        b"[" * 100_000 + b"]" * 100_000,  # nested past the recursion limit: RecursionError, not ValueError
    ],
)
def test_sagemaker_bad_responses_are_model_errors(settings, raw: bytes) -> None:
    with pytest.raises(ModelError):
        sagemaker.parse_body(settings.model(fakes.LMI), raw, 10, 1.0)


# --------------------------------------------------------------------------- errors and deadline
def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "the prompt was: SECRET"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Converse"
    )


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (client_error("ThrottlingException", 429), 429),
        (client_error("ModelNotReadyException", 429), 429),
        (client_error("ServiceQuotaExceededException", 400), 429),
        (client_error("ModelTimeoutException", 408), 504),
        (client_error("ModelErrorException", 424), 502),
        (client_error("ValidationException", 400), 502),
        (client_error("InternalServerException", 500), 502),
        (client_error("ServiceUnavailableException", 503), 503),
        (client_error("AccessDeniedException", 403), 503),
        (client_error("ResourceNotFoundException", 404), 503),
        (ReadTimeoutError(endpoint_url="https://x"), 504),
        (ConnectTimeoutError(endpoint_url="https://x"), 503),
    ],
)
def test_aws_errors_map_to_api_statuses_without_aws_messages(settings, exc: Exception, status: int) -> None:
    error = from_aws_error(exc, model=settings.model(fakes.HAIKU))
    assert error.status == status
    assert "SECRET" not in json.dumps(error.body())
    if status == 429:
        assert error.headers() == {"Retry-After": "2"}


def test_a_call_that_outlives_the_deadline_is_a_504(aws, _session_clients, settings) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.slow(1.0, fakes.converse_reply()))
    model = settings.model(fakes.HAIKU)
    request = ModelRequest("", (("user", "hi"),), resolve(DEFAULTS, None, model))
    model_backends = ModelBackends(_session_clients, settings)
    with pytest.raises(ApiError) as info:
        model_backends.invoke(model, request, Deadline(0.2))
    model_backends.close()
    assert info.value.status == 504 and info.value.code == "model_timeout"


def test_deadline_uses_the_smaller_of_setting_and_lambda_time() -> None:
    assert 3.5 < Deadline.for_request(27, fakes.LambdaContext(remaining_ms=5000)).remaining() <= 4.0
    assert 25.5 < Deadline.for_request(27, fakes.LambdaContext(remaining_ms=900_000)).remaining() <= 26.0
