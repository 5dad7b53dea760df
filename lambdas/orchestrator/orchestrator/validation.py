"""Request-body validation: the JSON Schema files in ``schemas/`` first, then what needs the deployment.

Structure, types, enums, patterns and static bounds come from ``schemas/requests.json``, checked by
the validators generated from it at build time (``schemas/validators.py``: no schema compiler is
imported at cold start). What the schema cannot know is checked here: which use cases and models
exist, images, and ``MAX_INPUT_CHARS`` (counted over the text the caller sent, never over what the
service adds). Every error is a 400 (or a 413 for sizes) whose message names the field and the
allowed values or range; no message echoes request text, and a field name the caller invented is
never logged and appears in a message only as a short identifier (anything else is described).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .catalog import UseCase
from .errors import PayloadTooLarge, ValidationError
from .prompts import Example, Instructions
from .schemas import JsonSchemaValueException, validators
from .settings import ModelSpec, Settings

# Converse: each image at most 3.75 MB and 8000 x 8000 px (Message API reference).
MAX_IMAGE_BYTES = 3_932_160
MAX_IMAGE_PIXELS_PER_SIDE = 8000
#: Integers longer than this are out of every field's range: kept as text, never converted.
MAX_INTEGER_DIGITS = 64
_SHOWN_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")


@dataclass(frozen=True, slots=True)
class Image:
    format: str
    data: bytes


@dataclass(frozen=True, slots=True)
class GenerateInput:
    use_case: UseCase
    input: str
    context: str | None
    instructions: Instructions
    examples: tuple[Example, ...]
    chain_of_thought: bool
    parameters: dict[str, Any]
    models: tuple[ModelSpec, ...]  # one for generate, 2..4 for compare
    image: Image | None
    language: str | None = None  # the caller's text's language (screening skips detection); None: detected


@dataclass(frozen=True, slots=True)
class ChatInput:
    conversation_id: str | None
    message: str
    parameters: dict[str, Any]
    model: ModelSpec
    language: str | None = None  # as GenerateInput.language


class OutOfRangeNumber:
    """A JSON number no field accepts (NaN, Infinity, an overflowing float, an integer of more than
    MAX_INTEGER_DIGITS digits): kept as a marker so the schema's type check names its field."""

    __slots__ = ()


_OUT_OF_RANGE = OutOfRangeNumber()


def _parse_float(text: str) -> float | OutOfRangeNumber:
    value = float(text)
    return value if math.isfinite(value) else _OUT_OF_RANGE


def _parse_int(text: str) -> int | OutOfRangeNumber:
    return int(text) if len(text) <= MAX_INTEGER_DIGITS else _OUT_OF_RANGE


def _parse_constant(_: str) -> OutOfRangeNumber:
    return _OUT_OF_RANGE  # NaN, Infinity, -Infinity: not JSON, though Python's json accepts them


def max_body_bytes(settings: Settings) -> int:
    """Largest body worth parsing: all text at 4 UTF-8 bytes per character (JSON-escaped), a
    base64 image and 64 KiB of structure."""
    return settings.max_input_chars * 6 + (MAX_IMAGE_BYTES * 4) // 3 + 65_536


def parse_json_body(body: str | bytes | None, is_base64: bool, settings: Settings) -> dict[str, Any]:
    if body is None or body == "":
        raise ValidationError("the request body must be a JSON object", field="body")
    if is_base64:
        try:
            body = base64.b64decode(body)
        except (binascii.Error, ValueError):
            raise ValidationError("the request body is not valid base64", field="body") from None
    size = len(body.encode("utf-8") if isinstance(body, str) else body)
    if size > max_body_bytes(settings):
        raise PayloadTooLarge(f"the request body has {size} bytes; the maximum is {max_body_bytes(settings)}", field="body")
    try:
        data = json.loads(body, parse_float=_parse_float, parse_int=_parse_int, parse_constant=_parse_constant)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("the request body is not valid JSON", field="body") from None
    except RecursionError:
        raise ValidationError("the request body nests JSON too deeply", field="body") from None
    if not isinstance(data, dict):
        raise ValidationError("the request body must be a JSON object", field="body")
    return data


# --------------------------------------------------------------------------- schema errors
def _field(name: str | None) -> str:
    """fastjsonschema's ``data.examples[1].output`` -> ``examples[1].output``; the body itself is ``body``."""
    path = (name or "data").removeprefix("data").lstrip(".")
    return path or "body"


def _join(parent: str, key: str) -> str:
    return key if parent == "body" else f"{parent}.{key}"


def _shown(key: str) -> str:
    """A caller's field name as a message may show it: a short identifier, else a description."""
    if _SHOWN_NAME_RE.match(key):
        return f'"{key}"'
    return f"a name of {len(key)} characters that is not an identifier"


def _unknown_field_error(parent: str, data: Mapping[str, Any], definition: Mapping[str, Any]) -> ValidationError:
    allowed = sorted(definition.get("properties", {}))
    unknown = [key for key in data if key not in allowed]
    ours = [key for key in unknown if key in validators.FIELD_NAMES]
    if ours:
        # One of the API's own names in the wrong place (e.g. "model" on compare): safe to name and log.
        path = _join(parent, ours[0])
        return ValidationError(f"{path} is not a field of this object; allowed: {allowed}", field=path)
    key = unknown[0]
    import difflib  # only on this error path: not worth its import at cold start

    hint = difflib.get_close_matches(key, allowed, n=1) if _SHOWN_NAME_RE.match(key) else []
    where = "the request body" if parent == "body" else parent
    # The field is the parent: a name the caller chose is data and never reaches the logs.
    return ValidationError(
        f"{where} has {len(unknown)} unknown field(s), e.g. {_shown(key)}"
        + (f"; did you mean {hint[0]!r}?" if hint else "")
        + f"; allowed: {allowed}",
        field=parent,
    )


def _schema_error(exc: JsonSchemaValueException) -> ValidationError:
    """The API's 400 for the first schema violation: the field path and what it must be, from the
    schema's own ``description`` and bounds; never the value."""
    field, rule, definition = _field(exc.name), exc.rule, exc.definition or {}
    value = exc.value
    wanted = definition.get("description")
    if rule == "additionalProperties" and isinstance(value, Mapping):
        return _unknown_field_error(field, value, definition)
    if rule == "required" and isinstance(value, Mapping):
        missing = next(key for key in definition["required"] if key not in value)
        if field == "body":
            sub = definition.get("properties", {}).get(missing, {})
            what = sub.get("description", "given")
            return ValidationError(f"{missing} is required and must be {what}", field=missing)
        return ValidationError(f"{field} must be {wanted or 'complete'}; {missing} is missing", field=field)
    if rule == "type" and field == "body":
        return ValidationError("the request body must be a JSON object", field="body")
    if rule == "type" and isinstance(value, OutOfRangeNumber):
        return ValidationError(f"{field} must be a finite number in range: {wanted or 'a number'}", field=field)
    if rule in ("minItems", "maxItems", "uniqueItems") and isinstance(value, list):
        return ValidationError(f"{field} has {len(value)} items; it must be {wanted}", field=field)
    bound = {
        "minimum": "at least {}", "maximum": "at most {}", "minLength": "at least {} characters",
        "maxLength": "at most {} characters", "enum": "one of {}",
    }.get(rule or "")
    detail = f" ({bound.format(definition[rule])})" if bound and rule in definition else ""
    if rule == "enum":
        return ValidationError(f"{field} must be one of {definition['enum']}", field=field)
    return ValidationError(f"{field} must be {wanted or 'valid'}{detail}", field=field)


def _check(validate: Callable[[Any], Any], data: Any) -> None:
    try:
        validate(data)
    except JsonSchemaValueException as exc:
        raise _schema_error(exc) from None


# --------------------------------------------------------------------------- deployment checks
def _model(settings: Settings, model_id: str, field: str) -> ModelSpec:
    spec = settings.model(model_id)
    if spec is None:
        raise ValidationError(f"{field} must be one of the ids from GET /v1/models: {sorted(settings.models)}", field=field)
    return spec


def parse_instructions(raw: Mapping[str, Any] | None) -> Instructions:
    raw = raw or {}
    return Instructions(
        tone=raw.get("tone"),
        constraints=tuple(raw.get("constraints") or ()),
        language=raw.get("language"),
        output_format=raw.get("output_format"),
    )


def parse_image(
    raw: Mapping[str, str] | None,
    use_case: UseCase,
    models: tuple[ModelSpec, ...],
    catalog: Mapping[str, UseCase],
    *,
    guardrail_screens_images: bool,
) -> Image | None:
    if raw is None:
        return None
    if not use_case.accepts_image:
        accepting = sorted(uc.id for uc in catalog.values() if uc.accepts_image)
        raise ValidationError(f"use case {use_case.id} does not accept images; use cases that do: {accepting}", field="image")
    for model in models:
        # Issue 12 item 5: an image goes only where the Bedrock guardrail judges it.
        if model.backend != "bedrock":
            raise ValidationError(
                f"images are refused for model {model.id}: no guardrail screens images on the {model.backend} backend",
                field="image",
            )
        if not guardrail_screens_images:
            raise ValidationError(
                "images are refused in this deployment: its guardrail is not configured for image content", field="image"
            )
        if not model.image:
            raise ValidationError(f'model {model.id} does not accept images; choose a model with "image": true', field="model")
    image_format, data = raw["format"], raw["data"]  # shape and format checked by the schema
    if len(data) > (MAX_IMAGE_BYTES * 4) // 3 + 4:
        raise PayloadTooLarge(
            f"image.data decodes to more than {MAX_IMAGE_BYTES} bytes (3.75 MB), the maximum", field="image.data"
        )
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("image.data is not valid base64", field="image.data") from None
    if len(decoded) > MAX_IMAGE_BYTES:
        raise PayloadTooLarge(
            f"image.data decodes to {len(decoded)} bytes; the maximum is {MAX_IMAGE_BYTES} (3.75 MB)", field="image.data"
        )
    size = image_size(decoded, image_format)
    if size is None:
        raise ValidationError(f"image.data is not a valid {image_format} image", field="image.data")
    if max(size) > MAX_IMAGE_PIXELS_PER_SIDE:
        raise ValidationError(
            f"image is {size[0]}x{size[1]} px; each side must be at most {MAX_IMAGE_PIXELS_PER_SIDE} px", field="image.data"
        )
    return Image(format=image_format, data=decoded)


def image_size(data: bytes, image_format: str) -> tuple[int, int] | None:
    """(width, height) from the PNG IHDR or the JPEG SOF marker; None if the bytes are not an
    image of that format."""
    if image_format == "png":
        if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
            return None
        width, height = struct.unpack(">II", data[16:24])
        return (width, height) if width and height else None
    if len(data) < 4 or data[:3] != b"\xff\xd8\xff":
        return None
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            index += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[index + 2 : index + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return (width, height) if width and height else None
        index += 2 + length
    return None


def parse_generate(
    data: Mapping[str, Any], settings: Settings, catalog: Mapping[str, UseCase], *, compare: bool = False
) -> GenerateInput:
    _check(validators.validate_CompareRequest if compare else validators.validate_GenerateRequest, data)
    use_case = catalog.get(data["use_case"])
    if use_case is None:
        raise ValidationError(f"use_case must be one of {sorted(catalog)}", field="use_case")
    if compare:
        models = tuple(_model(settings, model_id, f"models[{i}]") for i, model_id in enumerate(data["models"]))
    else:
        models = (_model(settings, data.get("model", settings.default_models[use_case.family]), "model"),)
    instructions = parse_instructions(data.get("instructions"))
    examples = tuple(Example(input=item["input"], output=item["output"]) for item in data.get("examples") or ())
    _check_total_chars(settings, data["input"], data.get("context"), instructions, examples)
    return GenerateInput(
        use_case=use_case,
        input=data["input"],
        context=data.get("context"),
        instructions=instructions,
        examples=examples,
        chain_of_thought=data.get("chain_of_thought", False),
        parameters=data.get("parameters") or {},
        models=models,
        image=parse_image(
            data.get("image"), use_case, models, catalog, guardrail_screens_images=settings.guardrail_screens_images
        ),
        language=data.get("language"),
    )


def _check_total_chars(
    settings: Settings, input_text: str, context: str | None, instructions: Instructions, examples: tuple[Example, ...]
) -> None:
    """The caller's text only: separators and placeholders the service adds later do not count."""
    sizes = {
        "input": len(input_text),
        "context": len(context or ""),
        "examples": sum(len(e.input) + len(e.output) for e in examples),
        "instructions": sum(len(s) for s in (instructions.tone, instructions.language, instructions.output_format) if s)
        + sum(len(c) for c in instructions.constraints),
    }
    total = sum(sizes.values())
    if total > settings.max_input_chars:
        largest = max(sizes, key=sizes.__getitem__)
        raise PayloadTooLarge(
            f"the request has {total} characters of text (input, context, examples and instructions); "
            f"the maximum is {settings.max_input_chars}",
            field=largest,
        )


def parse_chat(data: Mapping[str, Any], settings: Settings) -> ChatInput:
    _check(validators.validate_ChatRequest, data)
    message = data["message"]
    if len(message) > settings.max_input_chars:
        raise PayloadTooLarge(
            f"message has {len(message)} characters; the maximum is {settings.max_input_chars}", field="message"
        )
    return ChatInput(
        conversation_id=data.get("conversation_id"),
        message=message,
        parameters=data.get("parameters") or {},
        model=_model(settings, data.get("model", settings.default_models["chat"]), "model"),
        language=data.get("language"),
    )


def parse_moderate(data: Mapping[str, Any], settings: Settings) -> tuple[str, str | None]:
    _check(validators.validate_ModerateRequest, data)
    text = data["text"]
    if len(text) > settings.max_input_chars:
        raise PayloadTooLarge(f"text has {len(text)} characters; the maximum is {settings.max_input_chars}", field="text")
    return text, data.get("language")


def parse_agent(data: Mapping[str, Any], settings: Settings) -> tuple[str, str | None]:
    """POST /v1/agent's body -> (message, session_id or None); the session's owner is checked by agent_sessions."""
    _check(validators.validate_AgentRequest, data)
    message = data["message"]
    if len(message) > settings.max_input_chars:
        raise PayloadTooLarge(f"message has {len(message)} characters; the maximum is {settings.max_input_chars}",
                              field="message")
    return message, data.get("session_id")
