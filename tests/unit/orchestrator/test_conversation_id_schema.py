"""A conversation id is checked the same at its three places (POST /v1/chat's ``conversation_id`` field, the
path parameter of GET and DELETE /v1/conversations/{conversation_id}) by everything derived from the schema
files: a non-string, a string that is not a UUID, and null where null is not allowed are rejected.

The reference is JSON Schema 2020-12 itself (jsonschema, over the source files with their ``$ref`` s unresolved,
so a ``$ref``'s sibling keywords apply as well); the generated validator, the API Gateway model, the OpenAPI
document and the handler's path-parameter check must each agree with it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from orchestrator import api_schema, conversations
from orchestrator.errors import ValidationError

ROOT = Path(__file__).resolve().parents[3]
jsonschema = pytest.importorskip("jsonschema")

VALID = "0b7e4b7c-8f3a-4c1d-9e2f-1a2b3c4d5e6f"
#: value -> accepted as a path parameter; as the chat field, null is accepted too (it starts a conversation).
VALUES: list[tuple[Any, bool]] = [
    (VALID, True),
    (5, False),
    (["0b7e4b7c-8f3a-4c1d-9e2f-1a2b3c4d5e6f"], False),
    ("not-a-uuid", False),
    (VALID.upper(), False),
    (None, False),
]
CONVERSATION_ROUTES = [("GET", "/v1/conversations/{conversation_id}"), ("DELETE", "/v1/conversations/{conversation_id}")]


def _in_2020_12(schema: dict[str, Any], **root: Any) -> Any:
    """A 2020-12 validator of ``schema`` whose ``#/...`` references resolve inside ``root`` (default: every
    ``$defs`` entry of the schema files, as api_schema names them)."""
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **(root or {"$defs": api_schema.definitions()})}
    return jsonschema.Draft202012Validator({**document, **schema})


def _path_parameter(method: str, path: str, routes: list[dict[str, Any]]) -> dict[str, Any]:
    route = next(r for r in routes if (r["method"], r["path"]) == (method, path))
    return next(p for p in route["parameters"] if p["name"] == "conversation_id")


def _chat_field() -> dict[str, Any]:
    return api_schema.definitions()["ChatRequest"]["properties"]["conversation_id"]


def _accepted_in_chat(value: Any, path_parameter_accepts: bool) -> bool:
    return path_parameter_accepts or value is None


@pytest.mark.parametrize(("value", "accepted"), VALUES)
def test_the_source_schemas_check_every_place_alike(value: Any, accepted: bool) -> None:
    assert _in_2020_12(_chat_field()).is_valid(value) is _accepted_in_chat(value, accepted)
    for method, path in CONVERSATION_ROUTES:
        parameter = _path_parameter(method, path, api_schema.routes())
        assert parameter["in"] == "path" and parameter["required"] is True
        assert _in_2020_12(parameter["schema"]).is_valid(value) is accepted, (method, value)


@pytest.mark.parametrize(("value", "accepted"), VALUES)
def test_the_generated_validator_and_the_gateway_model_check_the_chat_field(value: Any, accepted: bool) -> None:
    from orchestrator.schemas import JsonSchemaValueException, validators

    from cdk.components.orchestration_api.request_models import REQUEST_SCHEMAS

    body = {"message": "hi", "conversation_id": value}
    expected = _accepted_in_chat(value, accepted)
    try:
        validators.validate_ChatRequest(body)
        generated = True
    except JsonSchemaValueException as error:
        generated = False
        assert error.name == "data.conversation_id"
        assert "(a UUID)" in error.definition["description"]  # the 400's message says what the field must be
    assert generated is expected
    assert jsonschema.Draft4Validator(REQUEST_SCHEMAS["/v1/chat"]).is_valid(body) is expected
    assert _in_2020_12(api_schema.request_schema("ChatRequest")).is_valid(body) is expected  # the bundled form


@pytest.mark.parametrize(("value", "accepted"), VALUES)
def test_the_openapi_document_checks_every_place_alike(value: Any, accepted: bool) -> None:
    document = json.loads((ROOT / "docs" / "openapi.json").read_text())
    components = {"components": document["components"]}
    chat = document["components"]["schemas"]["ChatRequest"]["properties"]["conversation_id"]
    assert _in_2020_12(chat, **components).is_valid(value) is _accepted_in_chat(value, accepted)
    for method, path in CONVERSATION_ROUTES:
        operation = document["paths"][path][method.lower()]
        parameter = next(p for p in operation["parameters"] if p["name"] == "conversation_id")
        assert _in_2020_12(parameter["schema"], **components).is_valid(value) is accepted, (method, value)


@pytest.mark.parametrize(("value", "accepted"), VALUES)
def test_the_handlers_path_parameter_check_agrees(value: Any, accepted: bool) -> None:
    if accepted:
        assert conversations.conversation_id_of(value) == value
    else:
        with pytest.raises(ValidationError) as raised:
            conversations.conversation_id_of(value)
        assert raised.value.field == "conversation_id"


@pytest.mark.parametrize(("method", "path"), CONVERSATION_ROUTES)
def test_a_malformed_path_parameter_is_a_400_on_both_routes(call, method: str, path: str) -> None:
    for bad in ("not-a-uuid", VALID.upper(), str(uuid.uuid4())[:-1]):
        status, body, _ = call(method, path.replace("{conversation_id}", bad))
        assert status == 400 and body["error"]["field"] == "conversation_id", (method, bad)


def test_the_pattern_is_written_once() -> None:
    sources = "".join((api_schema.SCHEMA_DIR / name).read_text() for name in ("requests.json", "responses.json", "routes.json"))
    assert sources.count(json.dumps(api_schema.conversation_id_pattern())) == 1


@pytest.mark.parametrize(
    ("target", "siblings"),
    [
        ({"pattern": "^a"}, {"type": ["string", "null"]}),  # disjoint: merged
        ({"type": "string", "pattern": "^a"}, {"type": ["string", "null"]}),  # both set type: both apply (no null)
        ({"type": "string", "description": "any"}, {"maxLength": 2, "description": "short"}),  # annotations: the use's
        ({"type": ["integer", "string"], "minimum": 1}, {"minimum": 3, "maxLength": 1}),
    ],
)
def test_a_ref_with_siblings_checks_both_as_2020_12_says(target: dict, siblings: dict) -> None:
    """What the generated validators compile (fastjsonschema, draft 7: it would ignore a $ref's siblings) and
    API Gateway gets: api_schema.ref_with_siblings, which must accept exactly what 2020-12 accepts."""
    fastjsonschema = pytest.importorskip("fastjsonschema")

    reference = _in_2020_12({"$ref": "#/$defs/T", **siblings}, **{"$defs": {"T": target}})
    combined = api_schema.ref_with_siblings(target, siblings)
    compiled = fastjsonschema.compile(combined)
    for value in (None, "", "a", "ab", "abc", "b", 0, 2, 5, 1.5, [], {}):
        try:
            compiled(value)
            generated = True
        except fastjsonschema.JsonSchemaValueException:
            generated = False
        assert generated is reference.is_valid(value), (combined, value)
    if "description" in siblings:
        assert combined["description"] == siblings["description"]


def test_a_trailing_newline_is_not_a_conversation_id_anywhere() -> None:
    """A pattern's ``$`` is ECMA-262's (JSON Schema): the end of the text. Python's ``$`` also matches before a
    final newline (jsonschema inherits that, so it is no reference here); the generated validators compile it as
    ``\\Z``, and the conversations module's own checks match whole too (else a 404 for what is a 400). (In a URL
    path, Powertools' route regex already leaves a final newline out of the parameter.)"""
    from orchestrator.schemas import JsonSchemaValueException, validators

    with pytest.raises(JsonSchemaValueException):
        validators.validate_ChatRequest({"message": "hi", "conversation_id": VALID + "\n"})
    with pytest.raises(ValidationError):
        conversations.conversation_id_of(VALID + "\n")
    with pytest.raises(ValidationError):
        conversations.decode_token(conversations.encode_token((1, VALID + "\n")))
