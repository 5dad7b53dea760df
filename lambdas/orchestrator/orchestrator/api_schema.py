"""The API contract: the JSON Schema files in ``schemas/`` read as plain dicts (stdlib only).

``schemas/requests.json`` and ``schemas/responses.json`` hold every body as a ``$defs`` entry;
``schemas/routes.json`` lists every route (method, path, request and response schema names, the
statuses it can answer) and every error code. From these one source:

* ``scripts/generate_api_artifacts.py`` generates ``schemas/validators.py`` (the handler's
  validation, compiled once at build time by fastjsonschema) and ``docs/openapi.json``;
* the API Gateway request models are built at synth (``cdk/components/orchestration_api``);
* ``GET /v1/openapi.json`` serves the same document (:func:`openapi_document`).

At cold start the router reads only the route table; the OpenAPI document is built on its first request.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMA_FILES = ("requests.json", "responses.json")


@cache
def load(file_name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / file_name).read_text(encoding="utf-8"))


def definitions() -> dict[str, dict[str, Any]]:
    """Every ``$defs`` entry of the schema files, by name (names are unique across files)."""
    merged: dict[str, dict[str, Any]] = {}
    for file_name in SCHEMA_FILES:
        for name, schema in load(file_name)["$defs"].items():
            if name in merged:
                raise ValueError(f"{file_name}: $defs/{name} is defined twice")
            merged[name] = schema
    return merged


def conversation_id_pattern() -> str:
    """The one pattern of a conversation id (``$defs/ConversationId``): POST /v1/chat's field and the
    conversation routes' path parameters refer to it."""
    return definitions()["ConversationId"]["pattern"]


def session_id_pattern() -> str:
    """The one pattern of an agent session id: POST /v1/agent's field (``agent_sessions`` mints and checks them)."""
    return load("requests.json")["$defs"]["AgentRequest"]["properties"]["session_id"]["pattern"]


def routes() -> list[dict[str, Any]]:
    return load("routes.json")["routes"]


def error_codes() -> list[dict[str, Any]]:
    return load("routes.json")["errors"]


def bundled(name: str) -> dict[str, Any]:
    """The named schema with every ``$ref`` inlined: self-contained, for validators and API Gateway
    (whose models cannot point into ``$defs``)."""
    defs = definitions()
    if name not in defs:
        raise KeyError(f"no schema named {name!r}; schemas: {sorted(defs)}")
    return inlined(defs[name], name)


def inlined(schema: Any, name: str = "schema") -> Any:
    """``schema`` (a part of the schema files, e.g. a route's parameter schema) with every ``$ref`` inlined."""
    defs = definitions()

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref is not None:
                target = ref.removeprefix("#/$defs/")
                if target == ref or target not in defs:
                    raise ValueError(f"{name}: unsupported $ref {ref!r} (only #/$defs/<name>)")
                return ref_with_siblings(inline(defs[target]), {k: inline(v) for k, v in node.items() if k != "$ref"})
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return copy.deepcopy(inline(schema))


#: Keywords that describe and never reject: where a ``$ref`` and its target both have one, the use site's wins.
ANNOTATIONS = frozenset({"title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly"})


def ref_with_siblings(target: dict[str, Any], siblings: dict[str, Any]) -> dict[str, Any]:
    """A ``$ref``'s target and the ``$ref``'s sibling keywords as one schema that checks both (2020-12:
    siblings of ``$ref`` apply too; drafts up to 7, fastjsonschema's, would ignore them). Keywords set on one
    side only are merged; a check set on both sides with different values keeps both, under ``allOf``."""
    clashes = {key for key in target.keys() & siblings.keys() if key not in ANNOTATIONS and target[key] != siblings[key]}
    if clashes:
        return {"allOf": [target, siblings]}
    return {**target, **siblings}


_FIELD_GROUP_KEYS = frozenset({"type", "description", "properties", "required"})


def closed_object(schema: dict[str, Any], resolve: Any = None) -> dict[str, Any]:
    """``{"allOf": [field groups], "properties", "unevaluatedProperties": false}`` as one object with
    ``additionalProperties: false``: the same body set, in keywords draft 4 and draft 7 have. A field
    group is a plain object schema (``type``, ``description``, ``properties``, ``required``);
    ``resolve`` maps a ``{"$ref": ...}`` group to its schema (the bundled form has none)."""
    if "allOf" not in schema:
        return schema
    if schema.get("unevaluatedProperties") is not False:
        raise ValueError(f"{schema.get('title')}: allOf field groups must be closed with unevaluatedProperties: false")
    properties: dict[str, Any] = {}
    required: list[str] = []
    for group in schema["allOf"]:
        group = resolve(group) if resolve and "$ref" in group else group
        if set(group) - _FIELD_GROUP_KEYS:
            raise ValueError(f"{schema.get('title')}: a field group may only have {sorted(_FIELD_GROUP_KEYS)}")
        properties.update(group.get("properties", {}))
        required += [key for key in group.get("required", []) if key not in required]
    properties.update(schema.get("properties", {}))
    required += [key for key in schema.get("required", []) if key not in required]
    combined = ("allOf", "unevaluatedProperties", "properties", "required")
    flat = {key: value for key, value in schema.items() if key not in combined}
    return {**flat, "additionalProperties": False, "required": required, "properties": properties}


def request_schema(name: str) -> dict[str, Any]:
    """A request body's schema, bundled and closed into one object (validators, API Gateway)."""
    return closed_object(bundled(name))


def request_schemas() -> dict[str, dict[str, Any]]:
    """POST path -> its request body schema, bundled and closed."""
    return {route["path"]: request_schema(route["request"]) for route in routes() if route.get("request")}


def allowed_methods(features: frozenset[str] | None = None) -> dict[str, tuple[str, ...]]:
    """Path -> its methods (the router's 404/405 answers). A route marked ``"requires": "<feature>"`` (the agent
    routes: ``agents``) exists only where that feature is on; ``features=None`` lists every route."""
    table: dict[str, tuple[str, ...]] = {}
    for route in routes():
        if features is not None and route.get("requires") and route["requires"] not in features:
            continue
        table[route["path"]] = (*table.get(route["path"], ()), route["method"])
    return table


# --------------------------------------------------------------------------- OpenAPI 3.1
_STATUS_TEXT = {
    204: "No content", 400: "Bad request", 403: "Forbidden", 404: "Not found", 409: "Conflict", 413: "Payload too large",
    422: "Blocked by a safety check", 429: "Throttled", 500: "Internal error", 502: "Model error",
    503: "Dependency unavailable", 504: "Model timeout",
}


def _component_refs(node: Any) -> Any:
    """``#/$defs/X`` -> ``#/components/schemas/X`` (OpenAPI keeps the schemas as components)."""
    if isinstance(node, dict):
        return {
            key: (value.replace("#/$defs/", "#/components/schemas/") if key == "$ref" else _component_refs(value))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_component_refs(item) for item in node]
    return node


#: Either scheme, by environment (``api.authorization``): each environment's methods use one of them.
SECURITY = [{"sigv4": []}, {"cognitoUserPool": []}]


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route, request, response and error (docs/openapi.json)."""
    codes_by_status: dict[int, list[str]] = {}
    for error in error_codes():
        codes_by_status.setdefault(error["status"], []).append(f"`{error['code']}`: {error['meaning']}")
    error_response = {"$ref": "#/components/schemas/Error"}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes():
        content = {media: {"schema": {"$ref": f"#/components/schemas/{schema}"}} for media, schema in route["responses"].items()}
        status = str(route.get("status", 200))  # 204: no body (e.g. a delete)
        description = "OK" if content else _STATUS_TEXT[int(status)]
        responses: dict[str, Any] = {status: {"description": description, **({"content": content} if content else {})}}
        for status in route["errors"]:
            responses[str(status)] = {
                "description": _STATUS_TEXT[status] + ". " + " ".join(codes_by_status.get(status, [])),
                "content": {"application/json": {"schema": error_response}},
            }
        operation: dict[str, Any] = {
            "operationId": route["operation_id"],
            "summary": route["summary"],
            **({"description": route["description"]} if route.get("description") else {}),
            "security": SECURITY,
            "responses": responses,
        }
        if route.get("parameters"):  # path and query parameters, as OpenAPI parameter objects
            operation["parameters"] = _component_refs(route["parameters"])
        if route.get("request"):
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{route['request']}"}}},
            }
        paths.setdefault(route["path"], {})[route["method"].lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "genai-stack orchestration API",
            "version": "1",
            "description": load("routes.json")["description"],
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [
            {
                "url": "https://{api_id}.execute-api.{region}.amazonaws.com/{stage}",
                "variables": {"api_id": {"default": "api_id"}, "region": {"default": "eu-west-1"}, "stage": {"default": "api"}},
            }
        ],
        "security": SECURITY,
        "paths": paths,
        "components": {
            "schemas": _component_refs(definitions()),
            "securitySchemes": {
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "AWS Signature Version 4 (environments with api.authorization: iam)",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                },
                "cognitoUserPool": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "the Cognito user pool's ID token (environments with api.authorization: cognito; "
                    "the pool and client ids are the UserPoolId and UserPoolClientId outputs)",
                    "x-amazon-apigateway-authtype": "cognito_user_pools",
                },
            },
        },
    }


@cache
def openapi_json() -> str:
    """The document as served and as written to docs/openapi.json (stable key order)."""
    return json.dumps(openapi_document(), indent=1, ensure_ascii=False) + "\n"
