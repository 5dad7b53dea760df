"""JSON schemas (draft 4, what API Gateway validates with) of the orchestration API's POST bodies.

They mirror the structural rules of ``lambdas/orchestrator/orchestrator/validation.py`` and are never
stricter: a body the orchestrator accepts always passes the gateway (tests/unit/infra checks it
against the runtime's own validator). What needs the model catalog or sizes (which use case, which
model, text length, image size) stays with the orchestrator, which answers with the precise 400/413.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_apigateway as apigateway

DRAFT4 = "http://json-schema.org/draft-04/schema#"
_NON_BLANK = {"type": "string", "pattern": "\\S"}
_OPTIONAL_NON_BLANK = {"type": ["string", "null"], "pattern": "\\S"}

PARAMETERS: dict[str, Any] = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "properties": {
        "max_new_tokens": {"type": "integer", "minimum": 1},
        "temperature": {"type": ["number", "null"], "minimum": 0},
        "top_p": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "top_k": {"type": ["integer", "null"], "minimum": 1},
        "stop_sequences": {"type": ["array", "null"], "maxItems": 4, "items": {"type": "string", "minLength": 1,
                                                                               "maxLength": 100}},
        "sampling": {"type": "string", "enum": ["greedy", "random"]},
    },
}
INSTRUCTIONS: dict[str, Any] = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "properties": {
        "tone": _OPTIONAL_NON_BLANK,
        "language": _OPTIONAL_NON_BLANK,
        "output_format": _OPTIONAL_NON_BLANK,
        "constraints": {"type": ["array", "null"], "maxItems": 10, "items": _NON_BLANK},
    },
}
EXAMPLES: dict[str, Any] = {
    "type": ["array", "null"],
    "maxItems": 6,
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["input", "output"],
        "properties": {"input": _NON_BLANK, "output": _NON_BLANK},
    },
}
IMAGE: dict[str, Any] = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "required": ["format", "data"],
    "properties": {"format": {"type": "string", "enum": ["png", "jpeg"]}, "data": {"type": "string", "minLength": 1}},
}
_GENERATE_PROPERTIES: dict[str, Any] = {
    "use_case": {"type": "string", "minLength": 1},
    "input": _NON_BLANK,
    "context": _OPTIONAL_NON_BLANK,
    "instructions": INSTRUCTIONS,
    "examples": EXAMPLES,
    "chain_of_thought": {"type": "boolean"},
    "parameters": PARAMETERS,
    "image": IMAGE,
}

GENERATE_REQUEST: dict[str, Any] = {
    "$schema": DRAFT4,
    "title": "GenerateRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["use_case", "input"],
    "properties": {**_GENERATE_PROPERTIES, "model": {"type": "string", "minLength": 1}},
}
COMPARE_REQUEST: dict[str, Any] = {
    "$schema": DRAFT4,
    "title": "CompareRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["use_case", "input", "models"],
    "properties": {
        **_GENERATE_PROPERTIES,
        "models": {"type": "array", "minItems": 2, "maxItems": 4, "uniqueItems": True,
                   "items": {"type": "string", "minLength": 1}},
    },
}
CHAT_REQUEST: dict[str, Any] = {
    "$schema": DRAFT4,
    "title": "ChatRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["message"],
    "properties": {
        "conversation_id": {
            "type": ["string", "null"],
            "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
        },
        "message": _NON_BLANK,
        "parameters": PARAMETERS,
        "model": {"type": "string", "minLength": 1},
    },
}
MODERATE_REQUEST: dict[str, Any] = {
    "$schema": DRAFT4,
    "title": "ModerateRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["text"],
    "properties": {
        "text": _NON_BLANK,
        "language": {"type": ["string", "null"], "pattern": "^[a-z]{2}(-[A-Z]{2})?$"},
    },
}

#: POST route -> its body schema.
REQUEST_SCHEMAS: dict[str, dict[str, Any]] = {
    "/v1/generate": GENERATE_REQUEST,
    "/v1/chat": CHAT_REQUEST,
    "/v1/compare": COMPARE_REQUEST,
    "/v1/moderate": MODERATE_REQUEST,
}

_TYPES = {t.name.lower(): t for t in apigateway.JsonSchemaType}
_KEYS = {
    "title": "title", "pattern": "pattern", "minLength": "min_length", "maxLength": "max_length",
    "minimum": "minimum", "maximum": "maximum", "minItems": "min_items", "maxItems": "max_items",
    "uniqueItems": "unique_items", "enum": "enum", "required": "required",
}


def to_json_schema(schema: dict[str, Any]) -> apigateway.JsonSchema:
    """A plain draft-4 schema dict as the CDK's typed ``JsonSchema``."""
    kwargs: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$schema":
            kwargs["schema"] = apigateway.JsonSchemaVersion.DRAFT4
        elif key == "type":
            kwargs["type"] = [_TYPES[t] for t in value] if isinstance(value, list) else _TYPES[value]
        elif key == "properties":
            kwargs["properties"] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key == "items":
            kwargs["items"] = to_json_schema(value)
        elif key == "additionalProperties":
            kwargs["additional_properties"] = value if isinstance(value, bool) else to_json_schema(value)
        elif key in _KEYS:
            kwargs[_KEYS[key]] = value
        else:
            raise ValueError(f"JSON schema keyword {key!r} is not mapped")
    return apigateway.JsonSchema(**kwargs)
