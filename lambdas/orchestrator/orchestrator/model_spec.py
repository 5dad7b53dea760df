"""The ``MODELS`` entries of the orchestrator's environment contract (see ``settings.py``): one
:class:`ModelSpec` per model, validated by :func:`parse_model` at cold start, written by the stack
with :meth:`ModelSpec.to_descriptor`. Stdlib only."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .chat_templates import DEFAULT_TEMPLATE, TEMPLATES

BACKENDS = ("bedrock", "sagemaker")
CONTAINERS = ("tgi", "lmi")

# Converse's InferenceConfiguration.temperature is 0..1 (botocore model, bedrock-runtime).
BEDROCK_TEMPERATURE_CEILING = 1.0
# TGI and LMI put no upper bound on temperature; above 2 the output is noise.
SAGEMAKER_TEMPERATURE_CEILING = 2.0
# Default top_k ceiling when MODELS says just ``"top_k": true`` (Anthropic and Cohere: 0..500).
DEFAULT_TOP_K_MAX = 500

_MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$")
# sagemaker-runtime InvokeEndpoint EndpointName pattern (botocore model), max 63.
_ENDPOINT_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
# Cross-region / global inference profile prefixes in front of "<provider>.<model>".
_PROFILE_PREFIXES = ("us", "eu", "apac", "us-gov", "global", "jp", "au", "ca")

_COMMON_KEYS = {"id", "backend", "max_tokens", "temperature_max", "top_k", "top_p", "image", "price_in", "price_out"}
_BEDROCK_KEYS = _COMMON_KEYS | {"target", "provider"}
_SAGEMAKER_KEYS = _COMMON_KEYS | {"endpoint", "container", "template"}

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
    template: str = ""  # sagemaker: the chat template (chat_templates.TEMPLATES)

    @classmethod
    def described(cls, item: Mapping[str, Any]) -> ModelSpec:
        """The spec a ``MODELS`` entry describes, defaults applied, *not validated* (the stack builds
        entries whose names are CloudFormation tokens; :func:`parse_model` validates at cold start)."""
        backend = item["backend"]
        top_k = item.get("top_k", backend == "sagemaker")
        common = {
            "id": item["id"],
            "backend": backend,
            "max_tokens": item["max_tokens"],
            "temperature_max": float(item.get("temperature_max", 1.0)),
            "top_k_max": (DEFAULT_TOP_K_MAX if top_k else 0) if isinstance(top_k, bool) else top_k,
            "top_p": item.get("top_p", True),
            "image": item.get("image", False),
            "price_in": float(item.get("price_in", 0)),
            "price_out": float(item.get("price_out", 0)),
        }
        if backend == "bedrock":
            return cls(**common, target=item["target"], provider=item.get("provider") or bedrock_provider(item["id"]))
        return cls(
            **common, endpoint=item["endpoint"], container=item["container"], template=item.get("template", DEFAULT_TEMPLATE)
        )

    def to_descriptor(self) -> dict[str, Any]:
        """The ``MODELS`` entry that :meth:`described` and :func:`parse_model` read back; keys at
        their default are left out (Lambda's 4 KB environment budget is shared)."""
        default_top_k = DEFAULT_TOP_K_MAX if self.backend == "sagemaker" else 0
        optional = {
            "temperature_max": (self.temperature_max, 1.0),
            "top_k": (self.top_k_max or False, default_top_k or False),
            "top_p": (self.top_p, True),
            "image": (self.image, False),
            "price_in": (self.price_in, 0.0),
            "price_out": (self.price_out, 0.0),
        }
        entry: dict[str, Any] = {"id": self.id, "backend": self.backend, "max_tokens": self.max_tokens}
        entry.update({key: value for key, (value, default) in optional.items() if value != default})
        if self.backend == "bedrock":
            return {**entry, "target": self.target, "provider": self.provider}
        entry = {**entry, "endpoint": self.endpoint, "container": self.container}
        return entry if self.template == DEFAULT_TEMPLATE else {**entry, "template": self.template}

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
    top_k_max = (DEFAULT_TOP_K_MAX if top_k else 0) if isinstance(top_k, bool) else top_k
    if not isinstance(top_k, bool) and not (_is_int(top_k) and 1 <= top_k <= 100_000):
        raise ConfigError(f"{path}.top_k", "must be true, false or the largest top_k the model accepts (integer >= 1)")
    flags = {}
    for key, default in (("top_p", True), ("image", False)):
        value = item.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{path}.{key}", "must be true or false")
        flags[key] = value
    for key in ("price_in", "price_out"):
        value = item.get(key, 0)
        if not _is_number(value) or value < 0:
            raise ConfigError(f"{path}.{key}", "must be a number >= 0 (USD per 1000 tokens)")
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
        return ModelSpec.described(item)

    endpoint = item.get("endpoint")
    if not isinstance(endpoint, str) or not _ENDPOINT_RE.match(endpoint):
        raise ConfigError(f"{path}.endpoint", "must be a SageMaker endpoint name (^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$)")
    container = item.get("container")
    if container not in CONTAINERS:
        raise ConfigError(f"{path}.container", f"must be one of {list(CONTAINERS)}")
    if flags["image"]:
        raise ConfigError(f"{path}.image", "must be false: the SageMaker text-generation containers take no images")
    if item.get("template", DEFAULT_TEMPLATE) not in TEMPLATES:
        raise ConfigError(f"{path}.template", f"must be one of {list(TEMPLATES)} (the model's chat template)")
    return ModelSpec.described(item)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value  # not NaN


