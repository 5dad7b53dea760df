"""Issue 12 item 5 (runtime): an image reaches a model only where the guardrail sees it.

``GUARDRAIL_SCREENS_IMAGES`` (settings contract; the stack writes ``true`` when the guardrail's
content filters take the IMAGE input modality) must be true for Bedrock; the SageMaker backend has
no guardrail on the model call at all. Everywhere else an image is a 400 naming ``image``.
"""

from __future__ import annotations

import base64
import json

import pytest

from localaws import fakes

IMAGE = {"format": "png", "data": base64.b64encode(fakes.PNG_1X1).decode()}
BODY = {"use_case": "sketch_reasoning", "input": "What does this flowchart do?", "image": IMAGE}


def _generate(body: dict) -> tuple[int, dict]:
    import handler

    response = handler.handler(fakes.api_event("POST", "/v1/generate", body), fakes.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize("variables", [{"GUARDRAIL_SCREENS_IMAGES": "false"}, {"GUARDRAIL_SCREENS_IMAGES": ""}])
def test_an_image_is_refused_when_the_guardrail_cannot_see_it(runtime_for, safety_fake, aws, variables) -> None:
    runtime_for(safety_fake, **variables)
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("A login flow."))
    status, body = _generate(BODY)
    assert status == 400 and body["error"]["field"] == "image"
    assert "guardrail" in body["error"]["message"]
    assert aws.count("bedrock-runtime", "Converse") == 0


def test_an_image_goes_through_when_the_guardrail_screens_images(runtime_for, safety_fake, aws) -> None:
    runtime_for(safety_fake, GUARDRAIL_SCREENS_IMAGES="true")
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("A login flow."))
    status, _ = _generate(BODY)
    assert status == 200 and aws.count("bedrock-runtime", "Converse") == 1


def test_an_image_for_the_inferentia_backend_is_refused_naming_the_image(runtime_for, safety_fake, aws) -> None:
    runtime_for(safety_fake, GUARDRAIL_SCREENS_IMAGES="true")
    status, body = _generate({**BODY, "model": fakes.TGI})
    assert status == 400 and body["error"]["field"] == "image" and "guardrail" in body["error"]["message"]
    assert aws.calls == []


def test_compare_refuses_the_image_when_one_model_is_on_sagemaker(runtime_for, safety_fake, aws) -> None:
    runtime_for(safety_fake, GUARDRAIL_SCREENS_IMAGES="true")
    import handler

    body = {**BODY, "models": [fakes.HAIKU, fakes.TGI]}
    response = handler.handler(fakes.api_event("POST", "/v1/compare", body), fakes.LambdaContext())
    assert response["statusCode"] == 400 and json.loads(response["body"])["error"]["field"] == "image"


def test_the_variable_must_be_true_or_false(runtime_for, safety_fake) -> None:
    from orchestrator.settings import ConfigError

    with pytest.raises(ConfigError) as info:
        runtime_for(safety_fake, GUARDRAIL_SCREENS_IMAGES="yes")
    assert info.value.variable == "GUARDRAIL_SCREENS_IMAGES"
