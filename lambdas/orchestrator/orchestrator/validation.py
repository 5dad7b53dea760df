"""Request-body validation: a small hand-written validator (no pydantic: cold start).

Every error is a 400 (or a 413 for sizes) whose message names the field and the allowed values
or range; no message echoes request text.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .catalog import UseCase
from .errors import PayloadTooLarge, ValidationError
from .parameters import check_shape
from .prompts import MAX_EXAMPLES, Example, Instructions
from .settings import ModelSpec, Settings

# Converse: each image at most 3.75 MB and 8000 x 8000 px (Message API reference).
MAX_IMAGE_BYTES = 3_932_160
MAX_IMAGE_PIXELS_PER_SIDE = 8000
IMAGE_FORMATS = ("png", "jpeg")
MAX_TONE_CHARS = 100
MAX_LANGUAGE_CHARS = 50
MAX_OUTPUT_FORMAT_CHARS = 300
MAX_CONSTRAINTS = 10
MAX_CONSTRAINT_CHARS = 300
MIN_COMPARE_MODELS, MAX_COMPARE_MODELS = 2, 4
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_LANGUAGE_CODE_RE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")
_GENERATE_KEYS = {"use_case", "input", "context", "instructions", "examples", "chain_of_thought", "parameters", "model", "image"}
_COMPARE_KEYS = (_GENERATE_KEYS - {"model"}) | {"models"}
_CHAT_KEYS = {"conversation_id", "message", "parameters", "model"}
_MODERATE_KEYS = {"text", "language"}
_INSTRUCTION_KEYS = {"tone", "constraints", "language", "output_format"}


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


@dataclass(frozen=True, slots=True)
class ChatInput:
    conversation_id: str | None
    message: str
    parameters: dict[str, Any]
    model: ModelSpec


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
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("the request body is not valid JSON", field="body") from None
    except RecursionError:
        raise ValidationError("the request body nests JSON too deeply", field="body") from None
    if not isinstance(data, dict):
        raise ValidationError("the request body must be a JSON object", field="body")
    return data


def _unknown_keys(data: Mapping[str, Any], allowed: set[str], prefix: str = "") -> None:
    for key in data:
        if key not in allowed:
            raise ValidationError(f"{prefix}{key} is not a known field; allowed: {sorted(allowed)}", field=f"{prefix}{key}")


def _text(
    data: Mapping[str, Any], key: str, *, required: bool, max_chars: int | None = None, field: str | None = None
) -> str | None:
    field = field or key
    value = data.get(key)
    if value is None:
        if required:
            raise ValidationError(f"{field} is required and must be a non-empty string", field=field)
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} must be a non-empty string", field=field)
    if max_chars is not None and len(value) > max_chars:
        raise ValidationError(f"{field} must be at most {max_chars} characters", field=field)
    return value


def _model(settings: Settings, model_id: Any, field: str) -> ModelSpec:
    spec = settings.model(model_id) if isinstance(model_id, str) else None
    if spec is None:
        raise ValidationError(f"{field} must be one of the ids from GET /v1/models: {sorted(settings.models)}", field=field)
    return spec


def parse_instructions(raw: Any) -> Instructions:
    if raw is None:
        return Instructions()
    if not isinstance(raw, dict):
        raise ValidationError(f"instructions must be an object with keys {sorted(_INSTRUCTION_KEYS)}", field="instructions")
    _unknown_keys(raw, _INSTRUCTION_KEYS, "instructions.")
    constraints = raw.get("constraints") or []
    if not isinstance(constraints, list) or len(constraints) > MAX_CONSTRAINTS:
        raise ValidationError(
            f"instructions.constraints must be a list of at most {MAX_CONSTRAINTS} strings", field="instructions.constraints"
        )
    for index, item in enumerate(constraints):
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_CONSTRAINT_CHARS:
            raise ValidationError(
                f"instructions.constraints[{index}] must be a non-empty string of at most {MAX_CONSTRAINT_CHARS} characters",
                field=f"instructions.constraints[{index}]",
            )
    return Instructions(
        tone=_text(raw, "tone", required=False, max_chars=MAX_TONE_CHARS, field="instructions.tone"),
        constraints=tuple(constraints),
        language=_text(raw, "language", required=False, max_chars=MAX_LANGUAGE_CHARS, field="instructions.language"),
        output_format=_text(
            raw, "output_format", required=False, max_chars=MAX_OUTPUT_FORMAT_CHARS, field="instructions.output_format"
        ),
    )


def parse_examples(raw: Any) -> tuple[Example, ...]:
    """0 to 6 consistent examples (the same keys, input and output, both non-empty)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValidationError('examples must be a list of {"input", "output"} objects', field="examples")
    if len(raw) > MAX_EXAMPLES:
        raise ValidationError(
            f"examples has {len(raw)} items; use 0 to {MAX_EXAMPLES} (zero-, one- or few-shot). "
            "Needing more examples is the sign to fine-tune the model instead",
            field="examples",
        )
    examples = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != {"input", "output"}:
            raise ValidationError(
                f"examples[{index}] must have exactly the keys input and output, like every other example",
                field=f"examples[{index}]",
            )
        for key in ("input", "output"):
            if not isinstance(item[key], str) or not item[key].strip():
                raise ValidationError(f"examples[{index}].{key} must be a non-empty string", field=f"examples[{index}].{key}")
        examples.append(Example(input=item["input"], output=item["output"]))
    return tuple(examples)


def parse_image(raw: Any, use_case: UseCase, models: tuple[ModelSpec, ...], catalog: Mapping[str, UseCase]) -> Image | None:
    if raw is None:
        return None
    if not use_case.accepts_image:
        accepting = sorted(uc.id for uc in catalog.values() if uc.accepts_image)
        raise ValidationError(f"use case {use_case.id} does not accept images; use cases that do: {accepting}", field="image")
    for model in models:
        if not model.image:
            raise ValidationError(f'model {model.id} does not accept images; choose a model with "image": true', field="model")
    if not isinstance(raw, dict) or set(raw) != {"format", "data"}:
        raise ValidationError('image must be {"format": "png"|"jpeg", "data": base64}', field="image")
    image_format = raw["format"]
    if image_format not in IMAGE_FORMATS:
        raise ValidationError(f"image.format must be one of {list(IMAGE_FORMATS)}", field="image.format")
    data = raw["data"]
    if not isinstance(data, str) or not data:
        raise ValidationError("image.data must be a non-empty base64 string", field="image.data")
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
    _unknown_keys(data, _COMPARE_KEYS if compare else _GENERATE_KEYS)
    use_case_id = data.get("use_case")
    use_case = catalog.get(use_case_id) if isinstance(use_case_id, str) else None
    if use_case is None:
        raise ValidationError(f"use_case must be one of {sorted(catalog)}", field="use_case")
    input_text = _text(data, "input", required=True)
    context = _text(data, "context", required=False)
    instructions = parse_instructions(data.get("instructions"))
    examples = parse_examples(data.get("examples"))
    chain_of_thought = data.get("chain_of_thought", False)
    if not isinstance(chain_of_thought, bool):
        raise ValidationError("chain_of_thought must be true or false", field="chain_of_thought")
    parameters = check_shape(data.get("parameters"))
    if compare:
        raw_models = data.get("models")
        if (
            not isinstance(raw_models, list)
            or not MIN_COMPARE_MODELS <= len(raw_models) <= MAX_COMPARE_MODELS
            or len(set(map(str, raw_models))) != len(raw_models)
        ):
            raise ValidationError(
                f"models must be a list of {MIN_COMPARE_MODELS} to {MAX_COMPARE_MODELS} different ids from GET /v1/models",
                field="models",
            )
        models = tuple(_model(settings, model_id, f"models[{i}]") for i, model_id in enumerate(raw_models))
    else:
        model_id = data.get("model", settings.default_models[use_case.family])
        models = (_model(settings, model_id, "model"),)
    image = parse_image(data.get("image"), use_case, models, catalog)
    _check_total_chars(settings, input_text, context, instructions, examples)
    return GenerateInput(
        use_case=use_case,
        input=input_text,
        context=context,
        instructions=instructions,
        examples=examples,
        chain_of_thought=chain_of_thought,
        parameters=parameters,
        models=models,
        image=image,
    )


def _check_total_chars(
    settings: Settings, input_text: str, context: str | None, instructions: Instructions, examples: tuple[Example, ...]
) -> None:
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
    _unknown_keys(data, _CHAT_KEYS)
    conversation_id = data.get("conversation_id")
    if conversation_id is not None and (not isinstance(conversation_id, str) or not _UUID_RE.match(conversation_id)):
        raise ValidationError(
            "conversation_id must be a conversation id returned by POST /v1/chat (a UUID)", field="conversation_id"
        )
    message = _text(data, "message", required=True)
    if len(message) > settings.max_input_chars:
        raise PayloadTooLarge(
            f"message has {len(message)} characters; the maximum is {settings.max_input_chars}", field="message"
        )
    model = _model(settings, data.get("model", settings.default_models["chat"]), "model")
    return ChatInput(
        conversation_id=conversation_id, message=message, parameters=check_shape(data.get("parameters")), model=model
    )


def parse_moderate(data: Mapping[str, Any], settings: Settings) -> tuple[str, str | None]:
    _unknown_keys(data, _MODERATE_KEYS)
    text = _text(data, "text", required=True)
    if len(text) > settings.max_input_chars:
        raise PayloadTooLarge(f"text has {len(text)} characters; the maximum is {settings.max_input_chars}", field="text")
    language = data.get("language")
    if language is not None and (not isinstance(language, str) or not _LANGUAGE_CODE_RE.match(language)):
        raise ValidationError('language must be a language code such as "en" or "es"', field="language")
    return text, language
