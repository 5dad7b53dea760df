"""Settings: parsed once at cold start from the environment variables the stack sets, into a
frozen object. A missing or invalid variable raises :class:`ConfigError` naming the variable
(and the key path inside JSON values) and the allowed values.

Environment contract (all required unless marked optional):

``ENVIRONMENT_NAME``              ``^[a-z][a-z0-9-]{0,31}$`` (metric dimension ``environment``)
``POWERTOOLS_SERVICE_NAME``       non-empty (read by Powertools)
``POWERTOOLS_METRICS_NAMESPACE``  non-empty (read by Powertools)
``LOG_LEVEL``                     optional, DEBUG|INFO|WARNING|ERROR|CRITICAL (default INFO)
``MODELS``                        JSON list of model objects, see :func:`parse_model`
``DEFAULT_MODELS``                JSON ``{"text", "chat", "code", "vision"}`` -> model ids from MODELS
``GUARDRAIL_ID``                  guardrail id or ARN (required when MODELS has a Bedrock model)
``GUARDRAIL_VERSION``             pinned numeric version (DRAFT refused)
``SAFETY_CONFIG``                 JSON for the safety package (validated by it at cold start)
``CONVERSATION_TABLE``            DynamoDB table name
``CONVERSATION_TTL_SECONDS``      60..31536000
``CHAT_HISTORY_MAX_TOKENS``       100..1000000 (history budget, tokens estimated as chars/4)
``REQUEST_DEADLINE_SECONDS``      1..900 (API Gateway integration timeout minus a margin)
``MAX_INPUT_CHARS``               1..1000000 (all user text of one request, summed)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FAMILIES = ("text", "chat", "code", "vision")
BACKENDS = ("bedrock", "sagemaker")
CONTAINERS = ("tgi", "lmi")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Converse's InferenceConfiguration.temperature is 0..1 (botocore model, bedrock-runtime).
BEDROCK_TEMPERATURE_CEILING = 1.0
# TGI and LMI put no upper bound on temperature; above 2 the output is noise.
SAGEMAKER_TEMPERATURE_CEILING = 2.0
# Default top_k ceiling when MODELS says just ``"top_k": true`` (Anthropic and Cohere: 0..500).
DEFAULT_TOP_K_MAX = 500

_ENV_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$")
# sagemaker-runtime InvokeEndpoint EndpointName pattern (botocore model), max 63.
_ENDPOINT_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
# bedrock-runtime GuardrailIdentifier / GuardrailVersion patterns (botocore model); DRAFT refused.
_GUARDRAIL_ID_RE = re.compile(r"^(?:[a-z0-9]+|arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+)$")
_GUARDRAIL_VERSION_RE = re.compile(r"^[1-9][0-9]{0,7}$")
# DynamoDB table names: 3..255 of [a-zA-Z0-9_.-].
_TABLE_RE = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")
# Cross-region / global inference profile prefixes in front of "<provider>.<model>".
_PROFILE_PREFIXES = ("us", "eu", "apac", "us-gov", "global", "jp", "au", "ca")

_COMMON_KEYS = {"id", "backend", "max_tokens", "temperature_max", "top_k", "top_p", "image", "price_in", "price_out"}
_BEDROCK_KEYS = _COMMON_KEYS | {"target", "provider"}
_SAGEMAKER_KEYS = _COMMON_KEYS | {"endpoint", "container"}

# Converse field that carries top_k, per model provider (None: the provider has none).
# Anthropic: additionalModelRequestFields.top_k; Amazon Nova: additionalModelRequestFields
# .inferenceConfig.topK; Mistral (7B/Mixtral): top_k; Cohere Command R: k. Meta Llama, AI21,
# Amazon Titan text and DeepSeek take no top_k.
TOP_K_PROVIDERS = ("anthropic", "amazon-nova", "mistral", "cohere")


class ConfigError(ValueError):
    """A missing or invalid environment variable; ``variable`` names it."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ModelSpec:
    id: str
    backend: str  # bedrock | sagemaker
    max_tokens: int
    temperature_max: float = 1.0
    top_k_max: int = 0  # 0: the model takes no top_k
    top_p: bool = True  # False: the model refuses temperature and top_p together (Claude 4.5+)
    image: bool = False
    price_in: float = 0.0  # USD per 1000 input tokens
    price_out: float = 0.0  # USD per 1000 output tokens
    target: str = ""  # bedrock: modelId, inference profile id or (application) profile ARN
    provider: str = ""  # bedrock: anthropic | amazon-nova | amazon | meta | mistral | cohere | ...
    endpoint: str = ""  # sagemaker: endpoint name
    container: str = ""  # sagemaker: tgi | lmi

    @property
    def accepts_top_k(self) -> bool:
        return self.top_k_max > 0

    def describe(self) -> dict[str, Any]:
        """The public view for ``GET /v1/models`` (no ARNs, no endpoint names)."""
        return {
            "id": self.id,
            "backend": self.backend,
            "max_tokens": self.max_tokens,
            "temperature_max": self.temperature_max,
            "top_k": self.accepts_top_k,
            "top_k_max": self.top_k_max or None,
            "top_p": self.top_p,
            "image": self.image,
            "price_in_per_1k": self.price_in,
            "price_out_per_1k": self.price_out,
            **({"provider": self.provider} if self.backend == "bedrock" else {"container": self.container}),
        }


@dataclass(frozen=True, slots=True)
class Settings:
    environment: str
    service: str
    metrics_namespace: str
    log_level: str
    models: Mapping[str, ModelSpec]
    default_models: Mapping[str, str]
    guardrail_id: str
    guardrail_version: str
    conversation_table: str
    conversation_ttl_seconds: int
    chat_history_max_tokens: int
    request_deadline_seconds: float
    max_input_chars: int

    def model(self, model_id: str) -> ModelSpec | None:
        return self.models.get(model_id)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        def required(name: str) -> str:
            value = (environ.get(name) or "").strip()
            if not value:
                raise ConfigError(name, "is required and must not be empty")
            return value

        environment = required("ENVIRONMENT_NAME")
        if not _ENV_NAME_RE.match(environment):
            raise ConfigError("ENVIRONMENT_NAME", "must match ^[a-z][a-z0-9-]{0,31}$")
        log_level = (environ.get("LOG_LEVEL") or "INFO").strip().upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError("LOG_LEVEL", f"must be one of {list(LOG_LEVELS)}")

        models_raw = _json(required("MODELS"), "MODELS")
        if not isinstance(models_raw, list) or not models_raw:
            raise ConfigError("MODELS", "must be a non-empty JSON list of model objects")
        models: dict[str, ModelSpec] = {}
        for index, item in enumerate(models_raw):
            spec = parse_model(item, f"MODELS[{index}]")
            if spec.id in models:
                raise ConfigError(f"MODELS[{index}].id", f"duplicate model id {spec.id!r}")
            models[spec.id] = spec

        defaults_raw = _json(required("DEFAULT_MODELS"), "DEFAULT_MODELS")
        if not isinstance(defaults_raw, dict) or set(defaults_raw) != set(FAMILIES):
            raise ConfigError("DEFAULT_MODELS", f"must be a JSON object with exactly the keys {list(FAMILIES)}")
        for family, model_id in defaults_raw.items():
            if model_id not in models:
                raise ConfigError(f"DEFAULT_MODELS.{family}", f"{model_id!r} is not an id in MODELS; allowed: {sorted(models)}")
        if not models[defaults_raw["vision"]].image:
            raise ConfigError("DEFAULT_MODELS.vision", 'must name a model with "image": true')

        guardrail_id = (environ.get("GUARDRAIL_ID") or "").strip()
        guardrail_version = (environ.get("GUARDRAIL_VERSION") or "").strip()
        if any(m.backend == "bedrock" for m in models.values()) or guardrail_id or guardrail_version:
            if not _GUARDRAIL_ID_RE.match(guardrail_id):
                raise ConfigError(
                    "GUARDRAIL_ID", "must be a guardrail id ([a-z0-9]+) or a guardrail ARN (every Bedrock call carries it)"
                )
            if not _GUARDRAIL_VERSION_RE.match(guardrail_version):
                raise ConfigError("GUARDRAIL_VERSION", "must be a pinned numeric version 1..99999999 (DRAFT is not allowed)")

        table = required("CONVERSATION_TABLE")
        if not _TABLE_RE.match(table):
            raise ConfigError("CONVERSATION_TABLE", "must be a DynamoDB table name (3..255 of [a-zA-Z0-9_.-])")

        return cls(
            environment=environment,
            service=required("POWERTOOLS_SERVICE_NAME"),
            metrics_namespace=required("POWERTOOLS_METRICS_NAMESPACE"),
            log_level=log_level,
            models=models,
            default_models=dict(defaults_raw),
            guardrail_id=guardrail_id,
            guardrail_version=guardrail_version,
            conversation_table=table,
            conversation_ttl_seconds=_int(required("CONVERSATION_TTL_SECONDS"), "CONVERSATION_TTL_SECONDS", 60, 31_536_000),
            chat_history_max_tokens=_int(required("CHAT_HISTORY_MAX_TOKENS"), "CHAT_HISTORY_MAX_TOKENS", 100, 1_000_000),
            request_deadline_seconds=_float(required("REQUEST_DEADLINE_SECONDS"), "REQUEST_DEADLINE_SECONDS", 1.0, 900.0),
            max_input_chars=_int(required("MAX_INPUT_CHARS"), "MAX_INPUT_CHARS", 1, 1_000_000),
        )


def bedrock_provider(model_id: str) -> str:
    """``anthropic.claude-3-haiku-...`` or ``us.anthropic.claude-...`` -> ``anthropic``;
    Amazon Nova is told apart from Titan (``amazon-nova``) because only Nova takes top_k."""
    parts = model_id.split(".")
    if len(parts) > 2 and parts[0] in _PROFILE_PREFIXES:
        parts = parts[1:]
    provider = parts[0].lower() if len(parts) > 1 else ""
    if provider == "amazon" and parts[1].startswith("nova"):
        return "amazon-nova"
    return provider


def parse_model(item: Any, path: str) -> ModelSpec:
    if not isinstance(item, dict):
        raise ConfigError(path, "must be a JSON object")
    backend = item.get("backend")
    if backend not in BACKENDS:
        raise ConfigError(f"{path}.backend", f"must be one of {list(BACKENDS)}")
    allowed = _BEDROCK_KEYS if backend == "bedrock" else _SAGEMAKER_KEYS
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise ConfigError(f"{path}.{unknown[0]}", f"unknown key for a {backend} model; allowed keys: {sorted(allowed)}")
    model_id = item.get("id")
    if not isinstance(model_id, str) or not _MODEL_ID_RE.match(model_id):
        raise ConfigError(f"{path}.id", "must match ^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$")
    max_tokens = item.get("max_tokens")
    if not _is_int(max_tokens) or not 1 <= max_tokens <= 1_000_000:
        raise ConfigError(f"{path}.max_tokens", "must be an integer 1..1000000 (the model's max output tokens)")
    ceiling = BEDROCK_TEMPERATURE_CEILING if backend == "bedrock" else SAGEMAKER_TEMPERATURE_CEILING
    temperature_max = item.get("temperature_max", 1.0)
    if not _is_number(temperature_max) or not 0 < temperature_max <= ceiling:
        raise ConfigError(f"{path}.temperature_max", f"must be a number in (0, {ceiling}] for a {backend} model")
    top_k = item.get("top_k", backend == "sagemaker")
    if isinstance(top_k, bool):
        top_k_max = DEFAULT_TOP_K_MAX if top_k else 0
    elif _is_int(top_k) and 1 <= top_k <= 100_000:
        top_k_max = top_k
    else:
        raise ConfigError(f"{path}.top_k", "must be true, false or the largest top_k the model accepts (integer >= 1)")
    flags = {}
    for key, default in (("top_p", True), ("image", False)):
        value = item.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{path}.{key}", "must be true or false")
        flags[key] = value
    prices = {}
    for key in ("price_in", "price_out"):
        value = item.get(key, 0)
        if not _is_number(value) or value < 0:
            raise ConfigError(f"{path}.{key}", "must be a number >= 0 (USD per 1000 tokens)")
        prices[key] = float(value)
    common = {
        "id": model_id,
        "backend": backend,
        "max_tokens": max_tokens,
        "temperature_max": float(temperature_max),
        "top_k_max": top_k_max,
        "top_p": flags["top_p"],
        "image": flags["image"],
        **prices,
    }

    if backend == "bedrock":
        target = item.get("target")
        if not isinstance(target, str) or not 1 <= len(target) <= 2048 or target.strip() != target:
            raise ConfigError(f"{path}.target", "must be the Bedrock model id, inference profile id or ARN (1..2048 chars)")
        provider = item.get("provider", bedrock_provider(model_id))
        if not isinstance(provider, str) or not provider:
            raise ConfigError(f"{path}.provider", "must be a provider name, e.g. anthropic, amazon-nova, meta")
        if top_k_max and provider not in TOP_K_PROVIDERS:
            raise ConfigError(
                f"{path}.top_k",
                f"provider {provider!r} takes no top_k through Converse; top_k is supported for {list(TOP_K_PROVIDERS)}",
            )
        return ModelSpec(**common, target=target, provider=provider)

    endpoint = item.get("endpoint")
    if not isinstance(endpoint, str) or not _ENDPOINT_RE.match(endpoint):
        raise ConfigError(f"{path}.endpoint", "must be a SageMaker endpoint name (^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$)")
    container = item.get("container")
    if container not in CONTAINERS:
        raise ConfigError(f"{path}.container", f"must be one of {list(CONTAINERS)}")
    if flags["image"]:
        raise ConfigError(f"{path}.image", "must be false: the SageMaker text-generation containers take no images")
    return ModelSpec(**common, endpoint=endpoint, container=container)  # image is false, checked above


def _json(raw: str, name: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(name, f"is not valid JSON ({exc.msg} at position {exc.pos})") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value  # not NaN


def _int(raw: str, name: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be an integer {low}..{high}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be an integer {low}..{high}")
    return value


def _float(raw: str, name: str, low: float, high: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number {low:g}..{high:g}") from None
    if not low <= value <= high:  # also false for NaN
        raise ConfigError(name, f"must be a number {low:g}..{high:g}")
    return value
