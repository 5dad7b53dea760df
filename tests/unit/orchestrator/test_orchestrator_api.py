"""The API end to end through handler.handler: every route and every error status."""

from __future__ import annotations

import base64
import json

import pytest

from localaws import fakes

GENERATE = {"use_case": "summarize", "input": "The board met on Monday and approved the budget."}


def error_of(body: dict) -> dict:
    assert set(body) == {"error", "request_id"}, body
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


# --------------------------------------------------------------------------- read-only routes
def test_get_use_cases(call) -> None:
    status, body, _ = call("GET", "/v1/use-cases")
    assert status == 200
    by_id = {uc["id"]: uc for uc in body["use_cases"]}
    assert by_id["sketch_reasoning"]["accepts_image"] is True
    assert by_id["summarize"]["default_parameters"]["max_new_tokens"] == 512
    assert by_id["summarize"]["default_model"] == fakes.HAIKU


def test_get_models_lists_bedrock_and_the_inferentia_endpoint(call) -> None:
    status, body, _ = call("GET", "/v1/models")
    assert status == 200
    by_id = {m["id"]: m for m in body["models"]}
    assert by_id[fakes.TGI]["backend"] == "sagemaker" and by_id[fakes.HAIKU]["backend"] == "bedrock"
    assert "endpoint" not in by_id[fakes.TGI] and "target" not in by_id[fakes.SONNET45]  # no ARNs or names leak
    assert body["defaults"]["vision"] == fakes.HAIKU


# --------------------------------------------------------------------------- generate
def test_generate_happy_path(call, aws, safety_fake) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("The budget was approved."))
    status, body, _ = call("POST", "/v1/generate", GENERATE, request_id="req-123")
    assert status == 200
    assert body["output"] == "The budget was approved."
    assert body["model"] == fakes.HAIKU and body["use_case"] == "summarize"
    assert body["usage"] == {"input_tokens": 120, "output_tokens": 12}
    assert body["stop_reason"] == "end_turn" and body["request_id"] == "req-123"
    assert set(body["safety"]) == {"input", "output"}
    assert body["estimated_cost_usd"] == pytest.approx(120 / 1000 * 0.00025 + 12 / 1000 * 0.00125)
    sent = aws.payloads("bedrock-runtime", "Converse")[0]
    assert sent["guardrailConfig"]["guardrailIdentifier"] == fakes.GUARDRAIL_ARN
    assert sent["system"][0]["text"].startswith("You are a precise editor")
    assert safety_fake.inputs[0][1] is False  # Bedrock applies the guardrail in-call


def test_generate_model_sees_only_masked_text_and_caller_gets_it_restored(call, aws, safety_fake) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.echo_converse)
    body = {
        "use_case": "answer",
        "input": "Who is bob@example.com?",
        "context": "bob@example.com is the CFO.",
        "examples": [{"input": "Who is x?", "output": "I don't know"}],
    }
    status, result, _ = call("POST", "/v1/generate", body)
    assert status == 200
    sent = aws.payloads("bedrock-runtime", "Converse")[0]["messages"][0]["content"][0]["text"]
    assert "bob@example.com" not in sent and "[EMAIL_1]" in sent and "[EMAIL_2]" in sent
    assert "bob@example.com" in result["output"]
    assert len(safety_fake.inputs) == 1  # one screening for all parts: one placeholder vault


def test_generate_on_the_inferentia_endpoint_uses_the_standalone_guardrail(call, aws, safety_fake) -> None:
    aws.on(
        "sagemaker-runtime",
        "InvokeEndpoint",
        fakes.sagemaker_reply(
            [{"generated_text": "Approved.", "details": {"finish_reason": "eos_token", "generated_tokens": 2}}]
        ),
    )
    status, body, _ = call("POST", "/v1/generate", {**GENERATE, "model": fakes.TGI, "parameters": {"sampling": "greedy"}})
    assert status == 200 and body["output"] == "Approved." and body["usage"]["estimated"] == ["input_tokens"]
    sent = aws.payloads("sagemaker-runtime", "InvokeEndpoint")[0]
    assert sent["parameters"]["do_sample"] is False and sent["inputs"].endswith("Assistant:")
    assert safety_fake.inputs[0][1] is True and safety_fake.outputs[0][1] is True


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"input": "x"}, "use_case", "required"),
        ({"use_case": "nope", "input": "x"}, "use_case", "summarize"),
        ({"use_case": "summarize"}, "input", "required"),
        ({"use_case": "summarize", "input": "   "}, "input", "non-empty"),
        ({**GENERATE, "colour": "red"}, "body", 'unknown field(s), e.g. "colour"'),  # a caller's name: not the field
        ({**GENERATE, "model": "gpt-4"}, "model", "GET /v1/models"),
        ({**GENERATE, "chain_of_thought": "yes"}, "chain_of_thought", "true or false"),
        ({**GENERATE, "instructions": {"tone": "x" * 101}}, "instructions.tone", "at most 100"),
        ({**GENERATE, "instructions": {"mood": "happy"}}, "instructions", '"mood"'),
        ({**GENERATE, "examples": [{"input": "a", "output": "b"}] * 7}, "examples", "fine-tune"),
        (
            {**GENERATE, "examples": [{"input": "a", "output": "b"}, {"input": "a", "answer": "b"}]},
            "examples[1]",
            "like every other example",
        ),
        ({**GENERATE, "examples": [{"input": "a", "output": ""}]}, "examples[0].output", "non-empty"),
        ({**GENERATE, "parameters": {"sampling": "random", "temperature": 1.5}}, "parameters.temperature", "from 0 to 1"),
        ({**GENERATE, "parameters": {"temperature": 3}}, "parameters.temperature", "at most 2"),  # the schema's bound
        ({**GENERATE, "parameters": {"max_new_tokens": 99999}}, "parameters.max_new_tokens", "from 1 to 4096"),
        ({**GENERATE, "model": fakes.LLAMA, "parameters": {"top_k": 3}}, "parameters.top_k", "not accepted"),
    ],
)
def test_generate_validation_errors_are_400_naming_the_field(call, aws, body, field, text) -> None:
    status, result, _ = call("POST", "/v1/generate", body)
    error = error_of(result)
    assert status == 400 and error["field"] == field and text in error["message"]
    assert aws.calls == []  # nothing called before the request is valid


def test_invalid_json_body_is_400(call) -> None:
    status, body, _ = call("POST", "/v1/generate", raw_body="{not json")
    assert status == 400 and error_of(body)["field"] == "body"
    status, body, _ = call("POST", "/v1/generate", raw_body="[1, 2]")
    assert status == 400


def test_deeply_nested_json_is_400_not_500(call) -> None:
    # json.loads raises RecursionError (not a ValueError) past Python's recursion limit.
    depth = 100_000
    status, body, _ = call("POST", "/v1/generate", raw_body='{"input": ' + "[" * depth + "]" * depth + "}")
    assert status == 400 and error_of(body)["field"] == "body"


def test_unsigned_request_is_403(call) -> None:
    status, body, _ = call("POST", "/v1/generate", GENERATE, caller=None)
    assert status == 403 and error_of(body)["code"] == "forbidden"


def test_unknown_route_is_404(call) -> None:
    status, body, _ = call("GET", "/v1/nothing")
    assert status == 404 and error_of(body)["code"] == "not_found"


def test_wrong_method_is_405_with_allow(call) -> None:
    status, body, headers = call("GET", "/v1/generate")
    assert status == 405 and headers["Allow"] == "POST" and error_of(body)["code"] == "method_not_allowed"
    status, _, headers = call("DELETE", "/v1/models")
    assert status == 405 and headers["Allow"] == "GET"


def test_too_much_text_is_413(call, aws) -> None:
    status, body, _ = call("POST", "/v1/generate", {"use_case": "summarize", "input": "x" * 12_001})
    assert status == 413 and error_of(body)["field"] == "input" and "12000" in error_of(body)["message"]
    status, body, _ = call("POST", "/v1/generate", {"use_case": "summarize", "input": "x" * 7000, "context": "y" * 7000})
    assert status == 413 and error_of(body)["field"] in ("input", "context")
    assert aws.calls == []


def test_safety_block_is_422_naming_the_check_without_echoing_text(call, aws) -> None:
    status, body, _ = call("POST", "/v1/generate", {"use_case": "summarize", "input": "you BLOCKME idiot"})
    error = error_of(body)
    assert status == 422 and error["check"] == "toxicity" and error["code"] == "blocked_by_safety"
    assert "BLOCKME" not in json.dumps(body) and "idiot" not in json.dumps(body)
    assert aws.calls == []


def test_guardrail_intervention_is_422(call, aws) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("Sorry, I can't help with that.", stop="guardrail_intervened"))
    status, body, _ = call("POST", "/v1/generate", GENERATE)
    error = error_of(body)
    assert status == 422 and error["check"] == "guardrail" and "Sorry" not in json.dumps(body)


def test_output_blocked_by_safety_is_422(call, aws) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("BLOCKME"))
    status, body, _ = call("POST", "/v1/generate", GENERATE)
    assert status == 422 and error_of(body)["check"] == "toxicity"


def test_throttling_is_retried_then_429_with_retry_after(call, aws, no_retry_sleep) -> None:
    aws.on("bedrock-runtime", "Converse", lambda req, _: fakes.aws_error(req, 429, "ThrottlingException", "Too many"))
    status, body, headers = call("POST", "/v1/generate", GENERATE)
    assert status == 429 and headers["Retry-After"] == "2" and error_of(body)["code"] == "throttled"
    assert aws.count("bedrock-runtime", "Converse") == 3  # 1 call + 2 retries
    assert len(no_retry_sleep) == 2 and all(delay >= 0 for delay in no_retry_sleep)


def test_throttling_that_clears_on_retry_succeeds(call, aws, no_retry_sleep) -> None:
    replies = iter([lambda r, p: fakes.aws_error(r, 429, "ThrottlingException"), fakes.converse_reply("ok")])
    aws.on("bedrock-runtime", "Converse", lambda req, payload: next(replies)(req, payload))
    status, body, _ = call("POST", "/v1/generate", GENERATE)
    assert status == 200 and body["output"] == "ok" and aws.count("bedrock-runtime", "Converse") == 2


def test_model_error_is_502(call, aws) -> None:
    aws.on("bedrock-runtime", "Converse", lambda req, _: fakes.aws_error(req, 424, "ModelErrorException", "prompt: SECRET"))
    status, body, _ = call("POST", "/v1/generate", GENERATE)
    assert status == 502 and error_of(body)["code"] == "model_error" and "SECRET" not in json.dumps(body)


def test_unavailable_dependency_is_503(call, aws, no_retry_sleep) -> None:
    aws.on("bedrock-runtime", "Converse", lambda req, _: fakes.aws_error(req, 503, "ServiceUnavailableException"))
    status, body, _ = call("POST", "/v1/generate", GENERATE)
    assert status == 503 and error_of(body)["code"] == "dependency_unavailable"


@pytest.mark.parametrize(("status", "code"), [(503, "safety_unavailable"), (429, "safety_throttled")])
def test_safety_unavailable_is_503_or_429(call, aws, safety_fake, status, code) -> None:
    import safety

    safety_fake.fail_with = safety.SafetyUnavailable(
        "the toxicity check is unavailable", status=status, code=code, check="toxicity"
    )
    got, body, headers = call("POST", "/v1/generate", GENERATE)
    assert got == status and error_of(body)["code"] == code
    assert ("Retry-After" in headers) == (status == 429)


@pytest.mark.parametrize("route", ["/v1/generate", "/v1/moderate"])
def test_safety_filter_failing_outside_its_contract_is_a_closed_503(call, aws, safety_fake, route, captured_output) -> None:
    # A malformed dependency response or a filter that cannot be built (SafetyFilter raises
    # ValueError) is still a dependency failure: fail closed with a 503, never a 500 with a trace.
    safety_fake.fail_with = KeyError("secret prompt text")
    safety_fake.moderate = lambda text, language=None: (_ for _ in ()).throw(ValueError("secret prompt text"))
    body = GENERATE if route == "/v1/generate" else {"text": "hello there"}
    status, got, headers = call("POST", route, body, request_id="req-safety")
    error = error_of(got)
    assert status == 503 and error["code"] == "dependency_unavailable" and got["request_id"] == "req-safety"
    assert "Retry-After" in headers
    assert aws.calls == []
    out = captured_output()
    assert "secret prompt text" not in out and "Traceback" not in out


def test_unsupported_language_of_the_input_names_the_input_field(call, aws, safety_fake) -> None:
    # Without a "language" field the screened language is detected: an unsupported one is the input's.
    import safety

    safety_fake.fail_with = safety.InputRejected(
        "language 'fr' is not supported; supported languages are: en, es", code="unsupported_language", field="language"
    )
    status, body, _ = call("POST", "/v1/generate", GENERATE)
    error = error_of(body)
    assert status == 400 and error["code"] == "unsupported_language" and error["field"] == "input"
    assert "en, es" in error["message"]
    assert aws.calls == []


def test_a_bare_safety_error_is_a_503_not_a_500(call, aws, safety_fake) -> None:
    import safety

    safety_fake.fail_with = safety.SafetyError("the safety check failed")  # the base class says 500
    status, body, _ = call("POST", "/v1/generate", GENERATE)
    assert status == 503 and error_of(body)["code"] == "safety_error"
    assert aws.calls == []


def _output_screening_seconds() -> float:
    import os

    import safety

    return safety.SafetySettings.from_environment(os.environ).timeout_seconds


def test_model_slower_than_the_budget_is_a_clean_504(call, aws) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.slow(2.0, fakes.converse_reply()))
    # 1.6 s left in the Lambda minus the 1 s response margin and the output screening's time: 0.6 s for the model.
    remaining_ms = 1600 + int(_output_screening_seconds() * 1000)
    status, body, _ = call("POST", "/v1/generate", GENERATE, context=fakes.LambdaContext(remaining_ms=remaining_ms))
    assert status == 504 and error_of(body)["code"] == "model_timeout"


def test_the_model_budget_leaves_time_to_screen_the_output(call, aws, monkeypatch) -> None:
    # The model's answer is screened (up to the safety timeout) after the model call: a model
    # answering just inside its budget must still leave the Lambda time for that and the response.
    from orchestrator.backends import ModelBackends

    budgets: list[float] = []
    real_invoke = ModelBackends.invoke

    def spy(self, model, request, deadline):
        budgets.append(deadline.remaining())
        return real_invoke(self, model, request, deadline)

    monkeypatch.setattr(ModelBackends, "invoke", spy)
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply())
    status, _, _ = call("POST", "/v1/generate", GENERATE, context=fakes.LambdaContext(remaining_ms=20_000))
    assert status == 200
    assert budgets and budgets[0] <= 20.0 - 1.0 - _output_screening_seconds()


def test_unexpected_bug_is_a_json_500_logged_by_type_only(call, aws, monkeypatch, captured_output) -> None:
    from orchestrator import service

    def boom(self, data, ctx):
        raise RuntimeError("secret prompt text in a message")

    monkeypatch.setattr(service.Service, "generate", boom)
    status, body, _ = call("POST", "/v1/generate", GENERATE, request_id="req-500")
    error = error_of(body)
    assert status == 500 and error["code"] == "internal_error" and body["request_id"] == "req-500"
    out = captured_output()
    assert "secret prompt text" not in out and "Traceback" not in out
    assert '"error_type":"RuntimeError"' in out


# --------------------------------------------------------------------------- images
def png_body(use_case: str = "sketch_reasoning", data: bytes = fakes.PNG_1X1, **extra) -> dict:
    return {
        "use_case": use_case,
        "input": "What does this flowchart do?",
        "image": {"format": "png", "data": base64.b64encode(data).decode()},
        **extra,
    }


def test_image_goes_to_the_model_for_a_vision_use_case(call, aws) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("A login flow."))
    status, body, _ = call("POST", "/v1/generate", png_body())
    assert status == 200 and body["output"] == "A login flow."
    content = aws.payloads("bedrock-runtime", "Converse")[0]["messages"][0]["content"]
    assert content[0]["image"]["format"] == "png"
    assert base64.b64decode(content[0]["image"]["source"]["bytes"]) == fakes.PNG_1X1
    assert "text" in content[1]


def test_jpeg_is_accepted(call, aws) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("ok"))
    body = png_body()
    body["image"] = {"format": "jpeg", "data": base64.b64encode(fakes.make_jpeg(800, 600)).decode()}
    assert call("POST", "/v1/generate", body)[0] == 200


@pytest.mark.parametrize(
    ("body", "status", "field", "text"),
    [
        (png_body("summarize"), 400, "image", "does not accept images"),
        (png_body(model=fakes.LLAMA), 400, "model", "does not accept images"),
        ({**png_body(), "image": {"format": "png", "data": "***not base64***"}}, 400, "image.data", "base64"),
        ({**png_body(), "image": {"format": "gif", "data": "AAAA"}}, 400, "image.format", "png"),
        (png_body(data=fakes.make_jpeg()), 400, "image.data", "not a valid png"),
        (png_body(data=fakes.make_png(9000, 10)), 400, "image.data", "at most 8000 px"),
        (png_body(data=fakes.make_png() + b"\0" * 3_932_161), 413, "image.data", "3.75 MB"),
    ],
)
def test_image_rejections(call, aws, body, status, field, text) -> None:
    got, result, _ = call("POST", "/v1/generate", body)
    error = error_of(result)
    assert got == status and error["field"] == field and text in error["message"]
    assert aws.calls == []


# --------------------------------------------------------------------------- compare
def test_compare_runs_models_side_by_side_and_one_failure_stays_in_its_slot(call, aws, no_retry_sleep) -> None:
    def converse(req, payload):
        if fakes.model_of(req) == fakes.LLAMA:
            return fakes.aws_error(req, 424, "ModelErrorException")
        return fakes.converse_reply(f"answer from {fakes.model_of(req)}", input_tokens=50, output_tokens=5)(req, payload)

    aws.on("bedrock-runtime", "Converse", converse)
    aws.on(
        "sagemaker-runtime",
        "InvokeEndpoint",
        fakes.sagemaker_reply(
            [{"generated_text": "tgi answer", "details": {"finish_reason": "eos_token", "generated_tokens": 2}}]
        ),
    )
    body = {**GENERATE, "models": [fakes.HAIKU, fakes.LLAMA, fakes.TGI]}
    status, result, _ = call("POST", "/v1/compare", body)
    assert status == 200 and result["succeeded"] == 2
    slots = {slot["model"]: slot for slot in result["results"]}
    assert [slot["model"] for slot in result["results"]] == [fakes.HAIKU, fakes.LLAMA, fakes.TGI]
    assert slots[fakes.HAIKU]["output"] == f"answer from {fakes.HAIKU}" and slots[fakes.HAIKU]["tokens"] == 55
    assert slots[fakes.HAIKU]["latency_ms"] == 340.0
    assert slots[fakes.LLAMA]["status"] == 502 and slots[fakes.LLAMA]["error"]["code"] == "model_error"
    assert slots[fakes.TGI]["output"] == "tgi answer"
    assert aws.count("bedrock-runtime", "Converse") == 2 and aws.count("sagemaker-runtime", "InvokeEndpoint") == 1


def test_compare_models_run_concurrently(call, aws) -> None:
    import time

    aws.on("bedrock-runtime", "Converse", fakes.slow(0.4, fakes.converse_reply("ok")))
    start = time.perf_counter()
    status, result, _ = call("POST", "/v1/compare", {**GENERATE, "models": [fakes.HAIKU, fakes.NOVA, fakes.LLAMA, fakes.COHERE]})
    assert status == 200 and result["succeeded"] == 4
    assert time.perf_counter() - start < 1.2  # not 4 x 0.4 s


def test_compare_screens_the_outputs_concurrently(call, aws, safety_fake, monkeypatch) -> None:
    # The output screening (up to the safety timeout each) runs per slot at once, not one after
    # another: four slow screenings must not add up past the time kept back for one.
    import time

    real = safety_fake.screen_output

    def slow_screen(text, *, screening, guardrail=False):
        time.sleep(0.4)
        return real(text, screening=screening, guardrail=guardrail)

    monkeypatch.setattr(safety_fake, "screen_output", slow_screen)
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("ok"))
    start = time.perf_counter()
    status, result, _ = call("POST", "/v1/compare", {**GENERATE, "models": [fakes.HAIKU, fakes.NOVA, fakes.LLAMA, fakes.COHERE]})
    assert status == 200 and result["succeeded"] == 4
    assert [slot["model"] for slot in result["results"]] == [fakes.HAIKU, fakes.NOVA, fakes.LLAMA, fakes.COHERE]
    assert time.perf_counter() - start < 1.2  # not 4 x 0.4 s


@pytest.mark.parametrize(
    "models",
    [[fakes.HAIKU], [fakes.HAIKU, fakes.HAIKU], [fakes.HAIKU, fakes.NOVA, fakes.LLAMA, fakes.TGI, fakes.LMI], "x"],
)
def test_compare_needs_two_to_four_distinct_models(call, models) -> None:
    status, body, _ = call("POST", "/v1/compare", {**GENERATE, "models": models})
    assert status == 400 and error_of(body)["field"] == "models"


def test_compare_refuses_model_key(call) -> None:
    status, body, _ = call("POST", "/v1/compare", {**GENERATE, "model": fakes.HAIKU, "models": [fakes.HAIKU, fakes.NOVA]})
    assert status == 400 and error_of(body)["field"] == "model"


# --------------------------------------------------------------------------- moderate
def test_moderate_calls_the_safety_package_and_no_model(call, aws) -> None:
    status, body, _ = call("POST", "/v1/moderate", {"text": "have a nice day", "language": "en"})
    assert status == 200 and body["moderation"]["verdict"] == "allowed" and aws.calls == []


@pytest.mark.parametrize(("body", "field"), [({}, "text"), ({"text": "hi", "language": "english"}, "language")])
def test_moderate_validation(call, body, field) -> None:
    status, result, _ = call("POST", "/v1/moderate", body)
    assert status == 400 and error_of(result)["field"] == field
