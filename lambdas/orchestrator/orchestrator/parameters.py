"""Inference parameters: validation per model and mapping per backend.

Ranges (checked before any call):

* ``max_new_tokens`` 1..the model's ``max_tokens`` (limits length, does not stop hallucination);
* ``temperature`` 0..the model's ``temperature_max`` (Converse caps it at 1);
* ``top_p`` 0..1 (TGI: strictly between 0 and 1, 1 meaning "off" is simply not sent);
* ``top_k`` >= 1 and at most the model's ceiling, only for models that take it;
* ``stop_sequences`` at most 4, each 1..100 characters. Converse itself allows up to 2500
  (botocore model), but TGI's default ``--max-stop-sequences`` is 4 and Bedrock's agent and
  prompt-management inference configurations cap them at 4: 4 works everywhere;
* ``sampling``: ``greedy`` is deterministic decoding (temperature 0 and top_k 1 where the
  model takes top_k; TGI/LMI ``do_sample: false``), ``random`` is weighted sampling.

Defaults come from the use case; a default the model cannot take (top_k, or top_p for models
that refuse temperature and top_p together) is dropped, a default above the model's limits is
clamped. A value the caller sets explicitly is never silently changed: it is valid or a 400.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ValidationError
from .settings import ModelSpec

MAX_STOP_SEQUENCES = 4
MAX_STOP_SEQUENCE_CHARS = 100
SAMPLING = ("greedy", "random")
KEYS = ("max_new_tokens", "temperature", "top_p", "top_k", "stop_sequences", "sampling")


@dataclass(frozen=True, slots=True)
class Parameters:
    max_new_tokens: int
    sampling: str
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: tuple[str, ...] = ()

    @property
    def greedy(self) -> bool:
        return self.sampling == "greedy"

    def describe(self) -> dict[str, Any]:
        return {
            "max_new_tokens": self.max_new_tokens,
            "sampling": self.sampling,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "stop_sequences": list(self.stop_sequences),
        }


def check_shape(raw: Any, field: str = "parameters") -> dict[str, Any]:
    """Type and key checks that need no model (run before the model is known)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValidationError(f"{field} must be an object with keys {list(KEYS)}", field=field)
    for key in raw:
        if key not in KEYS:
            raise ValidationError(f"{field}.{key} is not a parameter; allowed: {list(KEYS)}", field=f"{field}.{key}")
    return raw


def resolve(defaults: Mapping[str, Any], requested: Mapping[str, Any] | None, model: ModelSpec) -> Parameters:
    """Merge the use case's defaults with the caller's values and validate them for ``model``."""
    requested = check_shape(requested)
    label = f"model {model.id}"

    sampling = requested.get("sampling", defaults.get("sampling", "greedy"))
    if sampling not in SAMPLING:
        raise ValidationError(f"parameters.sampling must be one of {list(SAMPLING)}", field="parameters.sampling")

    if "max_new_tokens" in requested:
        max_new_tokens = requested["max_new_tokens"]
        if not _is_int(max_new_tokens) or not 1 <= max_new_tokens <= model.max_tokens:
            raise ValidationError(
                f"parameters.max_new_tokens must be an integer from 1 to {model.max_tokens} for {label}",
                field="parameters.max_new_tokens",
            )
    else:
        max_new_tokens = min(int(defaults.get("max_new_tokens", model.max_tokens)), model.max_tokens)

    temperature = _number(requested, "temperature", 0.0, model.temperature_max, label)
    top_p = _number(requested, "top_p", 0.0, 1.0, label)
    top_k = requested.get("top_k")
    if top_k is not None:
        if not model.accepts_top_k:
            raise ValidationError(f"parameters.top_k is not accepted by {label}; omit it", field="parameters.top_k")
        if not _is_int(top_k) or not 1 <= top_k <= model.top_k_max:
            raise ValidationError(
                f"parameters.top_k must be an integer from 1 to {model.top_k_max} for {label}", field="parameters.top_k"
            )

    if sampling == "greedy":
        for key, value in (("temperature", temperature), ("top_p", top_p)):
            if value is not None and value != (0.0 if key == "temperature" else 1.0):
                raise ValidationError(
                    f"parameters.{key} cannot be set with greedy sampling (deterministic decoding); "
                    'set parameters.sampling to "random" to use it',
                    field=f"parameters.{key}",
                )
        if top_k is not None and top_k != 1:
            raise ValidationError(
                'parameters.top_k must be 1 (or omitted) with greedy sampling; set parameters.sampling to "random"',
                field="parameters.top_k",
            )
        temperature, top_p, top_k = 0.0, None, (1 if model.accepts_top_k else None)
    else:
        default_temperature = defaults.get("temperature")
        if default_temperature is not None:
            default_temperature = min(float(default_temperature), model.temperature_max)
        if model.top_p:
            temperature = default_temperature if temperature is None else temperature
            top_p = _float_or_none(defaults.get("top_p")) if top_p is None else top_p
        elif temperature is not None and top_p is not None:
            raise ValidationError(
                f"parameters.top_p cannot be combined with parameters.temperature for {label}; set only one",
                field="parameters.top_p",
            )
        elif top_p is None:  # the model takes one of the two: the temperature, by default
            temperature = default_temperature if temperature is None else temperature
        if top_k is None and model.accepts_top_k and defaults.get("top_k") is not None:
            top_k = min(int(defaults["top_k"]), model.top_k_max)
        if model.backend == "sagemaker" and model.container == "tgi":
            _check_tgi(temperature, top_p, label)
            if top_p is not None and top_p >= 1.0:
                top_p = None  # 1.0 means "no nucleus filtering": TGI only accepts (0, 1)

    stop_sequences = _stop_sequences(requested.get("stop_sequences", defaults.get("stop_sequences", [])))
    return Parameters(
        max_new_tokens=max_new_tokens,
        sampling=sampling,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        stop_sequences=stop_sequences,
    )


def _check_tgi(temperature: float | None, top_p: float | None, label: str) -> None:
    # TGI router validation: temperature must be > 0; top_p must be > 0 and < 1.
    if temperature is not None and temperature <= 0:
        raise ValidationError(
            f"parameters.temperature must be greater than 0 with random sampling on {label} (TGI); "
            'use sampling "greedy" for deterministic output',
            field="parameters.temperature",
        )
    if top_p is not None and top_p <= 0:
        raise ValidationError(
            f"parameters.top_p must be greater than 0 and at most 1 for {label} (TGI)", field="parameters.top_p"
        )


def _number(requested: Mapping[str, Any], key: str, low: float, high: float, label: str) -> float | None:
    if key not in requested or requested[key] is None:
        return None
    value = requested[key]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or not low <= value <= high:
        raise ValidationError(
            f"parameters.{key} must be a number from {low:g} to {high:g} for {label}", field=f"parameters.{key}"
        )
    return float(value)


def _stop_sequences(raw: Any) -> tuple[str, ...]:
    field = "parameters.stop_sequences"
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_STOP_SEQUENCES:
        raise ValidationError(f"{field} must be a list of at most {MAX_STOP_SEQUENCES} strings", field=field)
    for index, item in enumerate(raw):
        if not isinstance(item, str) or not 1 <= len(item) <= MAX_STOP_SEQUENCE_CHARS or not item.strip():
            raise ValidationError(
                f"{field}[{index}] must be a non-blank string of 1 to {MAX_STOP_SEQUENCE_CHARS} characters",
                field=f"{field}[{index}]",
            )
    return tuple(raw)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


# --------------------------------------------------------------------------- backend mappings
def top_k_fields(model: ModelSpec, top_k: int) -> dict[str, Any]:
    """``additionalModelRequestFields`` carrying top_k, by model provider."""
    if model.provider == "amazon-nova":
        return {"inferenceConfig": {"topK": top_k}}
    if model.provider == "cohere":
        return {"k": top_k}
    return {"top_k": top_k}  # anthropic, mistral


def to_converse(params: Parameters, model: ModelSpec) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(``inferenceConfig``, ``additionalModelRequestFields`` or None) for Bedrock Converse."""
    config: dict[str, Any] = {"maxTokens": params.max_new_tokens}
    if params.temperature is not None:
        config["temperature"] = params.temperature
    if params.top_p is not None:
        config["topP"] = params.top_p
    if params.stop_sequences:
        config["stopSequences"] = list(params.stop_sequences)
    additional = top_k_fields(model, params.top_k) if params.top_k is not None and model.accepts_top_k else None
    return config, additional


def to_text_generation(params: Parameters, container: str) -> dict[str, Any]:
    """``parameters`` of a ``{"inputs", "parameters"}`` request to a Hugging Face TGI or a DJL
    LMI (rolling batch) container. Both take ``do_sample`` (false: greedy), ``temperature``,
    ``top_p``, ``top_k``, ``details`` and ``return_full_text``; stop strings are ``stop`` for
    TGI and ``stop_sequences`` for LMI."""
    body: dict[str, Any] = {
        "max_new_tokens": params.max_new_tokens,
        "do_sample": not params.greedy,
        "details": True,
        "return_full_text": False,
    }
    if not params.greedy:
        for key in ("temperature", "top_p", "top_k"):
            value = getattr(params, key)
            if value is not None:
                body[key] = value
    if params.stop_sequences:
        body["stop" if container == "tgi" else "stop_sequences"] = list(params.stop_sequences)
    return body
