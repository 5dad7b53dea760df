"""API Gateway request models built at synth from the orchestrator's own JSON Schema files.

The request bodies are defined once, in ``lambdas/orchestrator/orchestrator/schemas/requests.json``
(read through the runtime contract ``orchestrator.api_schema``); the handler validates with code
generated from the same file. API Gateway models take JSON Schema draft 4 (verified: "API Gateway
uses JSON schema draft 4", API Gateway developer guide, "Data models for REST APIs"), so each bundled
schema is converted here:

* ``$ref`` to ``#/$defs/...`` is inlined (a model can only reference other models by URL) and
  ``$defs``/``$id`` are dropped;
* ``$schema`` becomes the draft-4 URI;
* annotations draft 4 does not have are dropped: ``examples``, ``$comment`` and ``x-*`` keys;
* ``const`` becomes a one-value ``enum``.

Nothing that validates is dropped today; a keyword with no draft-4 meaning (``unevaluatedProperties``,
``prefixItems``, ``dependentRequired``, numeric ``exclusiveMinimum``...) fails synth instead of being
silently weakened. What needs the deployment (which use case or model, MAX_INPUT_CHARS, image bytes)
stays with the handler, which answers with the precise 400/413.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_apigateway as apigateway

import cdk.runtime_contracts  # noqa: F401 - puts lambdas/<function>/ on sys.path

# isort: split
from orchestrator import api_schema

DRAFT4 = "http://json-schema.org/draft-04/schema#"
#: Annotations with no draft-4 equivalent: dropped (they do not validate anything).
DROPPED_ANNOTATIONS = frozenset({"$id", "$defs", "$comment", "examples"})

_TYPES = {t.name.lower(): t for t in apigateway.JsonSchemaType}
_KEYS = {
    "title": "title", "description": "description", "pattern": "pattern", "minLength": "min_length",
    "maxLength": "max_length", "minimum": "minimum", "maximum": "maximum", "minItems": "min_items",
    "maxItems": "max_items", "uniqueItems": "unique_items", "enum": "enum", "required": "required",
}


def to_draft4(schema: dict[str, Any]) -> dict[str, Any]:
    """A bundled (``$ref``-free) schema of the runtime's files as a draft-4 schema dict."""
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key in DROPPED_ANNOTATIONS or key.startswith("x-"):
            continue
        if key == "$schema":
            converted[key] = DRAFT4
        elif key == "const":
            converted["enum"] = [value]
        elif key == "properties":
            converted[key] = {name: to_draft4(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            converted[key] = to_draft4(value)
        elif key in _KEYS or key in ("type", "items", "additionalProperties"):
            converted[key] = value
        else:
            raise ValueError(f"JSON Schema keyword {key!r} has no draft-4 equivalent for API Gateway models")
    return converted


def _request_schemas() -> dict[str, dict[str, Any]]:
    return {path: {"$schema": DRAFT4, **to_draft4(schema)} for path, schema in api_schema.request_schemas().items()}


#: POST route -> its body schema (draft 4), from the runtime's schema files.
REQUEST_SCHEMAS: dict[str, dict[str, Any]] = _request_schemas()


def to_json_schema(schema: dict[str, Any]) -> apigateway.JsonSchema:
    """A draft-4 schema dict as the CDK's typed ``JsonSchema``."""
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
