"""One API schema (issue 11): the JSON Schema files in lambdas/orchestrator/orchestrator/schemas/ are the
source of the handler's validation, docs/openapi.json, GET /v1/openapi.json and the README's API reference."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from orchestrator import api_schema, errors, routes

from localaws import fakes

from .test_orchestrator_safety_integration import comprehend_handlers, real_safety  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[3]
jsonschema = pytest.importorskip("jsonschema")


def validator(name: str):
    return jsonschema.Draft202012Validator(api_schema.bundled(name))


def test_generated_validators_and_openapi_document_are_fresh() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_api_artifacts.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_schema_is_valid_json_schema_and_every_route_names_existing_schemas() -> None:
    definitions = api_schema.definitions()
    for name in definitions:
        jsonschema.Draft202012Validator.check_schema(api_schema.bundled(name))
    for route in api_schema.routes():
        assert route.get("request") is None or route["request"] in definitions, route
        assert set(route["responses"].values()) <= set(definitions), route


def test_the_openapi_document_is_valid_openapi_3_1_with_every_route() -> None:
    document = json.loads((ROOT / "docs" / "openapi.json").read_text())
    spec_validator = pytest.importorskip("openapi_spec_validator")
    spec_validator.validate(document)
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert operations == {(route["method"], route["path"]) for route in api_schema.routes()}
    assert len(operations) == len(api_schema.routes())  # no route is listed twice


def test_the_router_serves_every_route_of_the_route_table(call) -> None:
    assert api_schema.allowed_methods() == routes.ROUTES
    for route in api_schema.routes():
        status, body, _ = call(route["method"], route["path"], {} if route["method"] == "POST" else None)
        if route.get("requires"):  # the agent routes: this environment has no AGENT_RUNTIME_ARN
            assert (status, body["error"]["code"]) == (404, "not_found"), (route, body)
        else:
            # Served: an empty POST body or a "{conversation_id}" path is a 400 from validation; the list needs
            # the table (none here: 503). Never the router's 404 or 405.
            assert status in (200, 400, 503), (route, body)


def test_get_openapi_json_serves_the_committed_document(call) -> None:
    status, body, headers = call("GET", "/v1/openapi.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body == json.loads((ROOT / "docs" / "openapi.json").read_text())


def test_every_error_code_the_code_raises_is_documented() -> None:
    documented = {error["code"] for error in api_schema.error_codes()}
    raised = {cls.code for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.ApiError)}
    raised |= {"conversation_not_found", "conflict", "safety_throttled", "safety_timeout", "text_too_long"}
    assert raised <= documented, raised - documented
    statuses = {status for route in api_schema.routes() for status in route["errors"]}
    assert statuses <= {error["status"] for error in api_schema.error_codes()}


# --------------------------------------------------------------------------- README API reference
def _readme_examples() -> list[tuple[str, str, str, dict]]:
    """(kind, method, path, body) for every ```json block under a '#### METHOD /path' heading of the
    README's API reference; kind is 'request' or 'response' (the line before the block says which)."""
    text = (ROOT / "README.md").read_text()
    reference = text.split("## API reference", 1)[1].split("\n## ", 1)[0]
    found = []
    for section in re.split(r"\n#### ", reference)[1:]:
        method, path = section.split("\n", 1)[0].split()[:2]
        for kind, block in re.findall(r"(Request|Response)[^\n]*\n+```json\n(.*?)\n```", section, re.S):
            found.append((kind.lower(), method, path.strip("`"), json.loads(block)))
    return found


def test_the_readme_shows_a_request_and_a_response_for_every_route_and_they_match_the_schemas() -> None:
    examples = _readme_examples()
    by_route = {(route["method"], route["path"]): route for route in api_schema.routes()}
    shown = {(method, path, kind) for kind, method, path, _ in examples}
    for (method, path), route in by_route.items():
        if route["responses"]:  # a 204 route (delete) has no body to show
            assert (method, path, "response") in shown, (method, path)
        if route.get("request"):
            assert (method, path, "request") in shown, (method, path)
    for kind, method, path, body in examples:
        route = by_route[(method, path)]
        # A streamed route's response example is one of its events (text/event-stream).
        name = route["request"] if kind == "request" else next(iter(route["responses"].values()))
        validator(name).validate(body)
    errors_section = (ROOT / "README.md").read_text().split("### Errors", 1)[1]
    validator("Error").validate(json.loads(errors_section.split("```json\n", 1)[1].split("\n```", 1)[0]))


def test_the_readme_lists_every_error_code() -> None:
    from cdk.components.orchestration_api import GATEWAY_ERRORS

    reference = (ROOT / "README.md").read_text().split("## API reference", 1)[1].split("\n## ", 1)[0]
    for error in api_schema.error_codes():
        assert f"`{error['code']}`" in reference, error["code"]
    gateway_paragraph = reference.split("API Gateway answers some errors itself", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"`([a-z_]+)`", gateway_paragraph)) == {code for code, _ in GATEWAY_ERRORS.values()}


# --------------------------------------------------------------------------- responses match their schemas
def test_real_responses_and_errors_match_their_schemas(call, aws, real_safety) -> None:  # noqa: F811 - fixture
    comprehend_handlers(aws)
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("The budget was approved."))
    generate = {"use_case": "summarize", "input": "The board met on Monday and approved the budget."}
    for method, path, body, schema in [
        ("GET", "/v1/use-cases", None, "UseCasesResponse"),
        ("GET", "/v1/models", None, "ModelsResponse"),
        ("POST", "/v1/generate", generate, "GenerateResponse"),
        ("POST", "/v1/compare", {**generate, "models": [fakes.HAIKU, fakes.NOVA]}, "CompareResponse"),
        ("POST", "/v1/moderate", {"text": "have a nice day", "language": "en"}, "ModerateResponse"),
        ("POST", "/v1/prompt/preview", {**generate, "model": fakes.TGI}, "PromptPreviewResponse"),
        ("POST", "/v1/generate", {"use_case": "nope", "input": "x"}, "Error"),
        ("GET", "/v1/nothing", None, "Error"),
    ]:
        status, result, _ = call(method, path, body)
        assert (status == 200) is (schema != "Error"), (path, result)
        validator(schema).validate(result)


def test_valid_bodies_pass_both_the_generated_validator_and_the_schema() -> None:
    """The generated validators agree with a reference implementation (jsonschema) on samples."""
    from orchestrator.schemas import JsonSchemaValueException, validators

    samples = {
        "GenerateRequest": [
            ({"use_case": "summarize", "input": "x", "parameters": {"temperature": 0.5, "sampling": "random"}}, True),
            ({"use_case": "summarize", "input": "x", "examples": [{"input": "a", "output": "b"}] * 7}, False),
            ({"use_case": "summarize", "input": " "}, False),
            ({"use_case": "summarize", "input": "x", "image": {"format": "gif", "data": "AA"}}, False),
        ],
        "ChatRequest": [({"message": "hi", "conversation_id": None}, True), ({"message": "hi", "conversation_id": "x"}, False)],
        "CompareRequest": [({"use_case": "u", "input": "x", "models": ["a", "a"]}, False)],
        "ModerateRequest": [({"text": "x", "language": "en-GB"}, True), ({"text": "x", "language": "english"}, False)],
    }
    for name, cases in samples.items():
        generated = getattr(validators, f"validate_{name}")
        for body, valid in cases:
            assert validator(name).is_valid(body) is valid, (name, body)
            try:
                generated(body)
                accepted = True
            except JsonSchemaValueException:
                accepted = False
            assert accepted is valid, (name, body)


# --------------------------------------------------------------------------- API Gateway models (draft 4)
def test_the_gateway_models_are_the_same_schemas_in_draft_4_and_agree_with_the_handler() -> None:
    from cdk.components.orchestration_api.request_models import REQUEST_SCHEMAS, to_json_schema

    assert set(REQUEST_SCHEMAS) == set(api_schema.request_schemas())
    bodies = {
        "/v1/generate": {"use_case": "summarize", "input": "x", "context": None, "examples": [{"input": "a", "output": "b"}],
                         "instructions": {"tone": "formal", "constraints": ["short"]}, "chain_of_thought": False,
                         "parameters": {"max_new_tokens": 200, "temperature": None, "sampling": "random"},
                         "image": {"format": "png", "data": "iVBORw0KGgo="}, "model": "m1"},
        "/v1/compare": {"use_case": "summarize", "input": "x", "models": ["m1", "m2"]},
        "/v1/chat": {"message": "Hello", "conversation_id": "0b7e4b7c-8f3a-4c1d-9e2f-1a2b3c4d5e6f"},
        "/v1/moderate": {"text": "Hello there", "language": "en"},
        "/v1/agent": {"message": "Hello", "session_id": "9f1c2b3a4d5e6f708192a3b4c5d6e7f8-3c4d5e6f7a8b9c0d"},
    }
    # Routes that take another route's body (streamed twins, the dry run) are checked with that body.
    by_request = {api_schema.request_schemas()[path]["title"]: body for path, body in bodies.items()}
    bodies.update({path: by_request[schema["title"]] for path, schema in api_schema.request_schemas().items()})
    for path, schema in REQUEST_SCHEMAS.items():
        jsonschema.Draft4Validator.check_schema(schema)
        assert schema["$schema"] == "http://json-schema.org/draft-04/schema#" and "$ref" not in json.dumps(schema)
        to_json_schema(schema)  # every keyword maps onto the CDK's typed JsonSchema
        gateway, runtime = jsonschema.Draft4Validator(schema), validator(api_schema.request_schemas()[path]["title"])
        for body in (bodies[path], {**bodies[path], "unexpected": 1}, {**bodies[path], "parameters": {"top_p": 2}}):
            assert gateway.is_valid(body) is runtime.is_valid(body), (path, body)


def test_a_keyword_draft_4_cannot_express_fails_synth_instead_of_being_dropped() -> None:
    from cdk.components.orchestration_api.request_models import to_draft4

    assert to_draft4({"type": "string", "examples": ["x"], "x-note": 1, "const": "a"}) == {"type": "string", "enum": ["a"]}
    with pytest.raises(ValueError, match="unevaluatedProperties"):
        to_draft4({"type": "object", "unevaluatedProperties": False})


def test_a_field_added_to_a_shared_group_reaches_every_request_that_uses_it() -> None:
    """A later field on every model call (e.g. knowledge_base) is one edit: ModelCallFields."""
    import copy

    definitions = copy.deepcopy(api_schema.load("requests.json")["$defs"])
    definitions["ModelCallFields"]["properties"]["knowledge_base"] = {"type": "string"}
    for name in ("GenerateRequest", "CompareRequest", "ChatRequest"):
        closed = api_schema.closed_object(definitions[name], lambda group: definitions[group["$ref"].removeprefix("#/$defs/")])
        assert "knowledge_base" in closed["properties"] and closed["additionalProperties"] is False, name
    assert set(api_schema.request_schema("GenerateRequest")["required"]) == {"use_case", "input"}
    assert set(api_schema.request_schema("CompareRequest")["required"]) == {"use_case", "input", "models"}


def test_the_schema_bounds_match_the_runtime_constants_they_stand_for() -> None:
    from orchestrator import parameters, prompts

    definitions = api_schema.definitions()
    assert definitions["Examples"]["maxItems"] == prompts.MAX_EXAMPLES
    stop = definitions["Parameters"]["properties"]["stop_sequences"]
    assert (stop["maxItems"], stop["items"]["maxLength"]) == (parameters.MAX_STOP_SEQUENCES, parameters.MAX_STOP_SEQUENCE_CHARS)
    assert definitions["Parameters"]["properties"]["sampling"]["enum"] == list(parameters.SAMPLING)
    assert set(definitions["Parameters"]["properties"]) == set(parameters.KEYS)


def test_the_openapi_document_names_both_auth_schemes() -> None:
    document = api_schema.openapi_document()
    schemes = document["components"]["securitySchemes"]
    assert schemes["cognitoUserPool"]["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert schemes["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    alternatives = [{"sigv4": []}, {"cognitoUserPool": []}]
    assert document["security"] == alternatives
    assert all(op["security"] == alternatives for path in document["paths"].values() for op in path.values())
