"""The ``bedrock`` section: which models an environment may call, its guardrail, and invocation logging.

Every key has a default, so an environment states only what it changes::

    "bedrock": {
      "models": ["eu.anthropic.claude-haiku-4-5-20251001-v1:0", "eu.amazon.nova-lite-v1:0"],
      "default_models": {"text": "eu.amazon.nova-lite-v1:0", "chat": "eu.anthropic.claude-haiku-4-5-20251001-v1:0"},
      "guardrail": {"content_filters": {"INSULTS": "MEDIUM"}, "pii_entities": {"NAME": "NONE"}},
      "invocation_logging": {"bucket_expiration_days": 365}
    }

Invocation logging is deployed once per account and region by the account stack, with the settings of the
strictest environment there (see ``cdk/config/account.py``).

Model IDs are checked against the formats Bedrock accepts (the botocore ``FoundationModelArn`` pattern, with an
optional cross-Region prefix) and against the model catalog ``bedrock_models.json`` (limits, prices, the
Regions a cross-Region profile routes to). Guardrail values are checked against the enums of the botocore
``bedrock`` service model and its length limits (the guardrail reader: ``cdk/config/guardrail.py``).
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cdk.components.bedrock_guardrail.props import GuardrailPolicy
from cdk.config.fields import ConfigError, Section, json_file_section
from cdk.config.guardrail import DEFAULT_GUARDRAIL, parse_guardrail

CATALOG_PATH = Path(__file__).with_name("bedrock_models.json")

FAMILIES = ("text", "chat", "code", "vision")

# botocore FoundationModelArn resource part: provider.model[.x][.y][:n][:m]
FOUNDATION_MODEL_ID = r"[a-z0-9-]{1,63}\.(?:[a-z0-9-]{1,63}\.){0,2}[a-z0-9-]{1,63}(?::[a-z0-9-]{1,63}){0,2}"
GLOBAL_PREFIX = "global"
MODEL_ID_HINT = (
    "a Bedrock model ID: provider.model-name[-version][:n], optionally behind a cross-Region inference profile "
    "prefix ({prefixes}), e.g. anthropic.claude-haiku-4-5-20251001-v1:0 or eu.amazon.nova-lite-v1:0"
)

# ----------------------------------------------------------------------------------------------- model catalog


@dataclass(frozen=True)
class Price:
    """USD per 1000 tokens."""

    input: float
    output: float


@dataclass(frozen=True)
class CatalogModel:
    """One foundation model of ``bedrock_models.json``."""

    id: str
    provider: str
    max_output_tokens: int
    temperature_max: float
    top_k: bool
    top_p_with_temperature: bool
    image: bool
    requires_inference_profile: bool
    pricing: Mapping[str, Price]
    destination_regions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelCatalog:
    as_of: str
    geographies: Mapping[str, tuple[str, ...]]
    models: Mapping[str, CatalogModel]

    @property
    def prefixes(self) -> tuple[str, ...]:
        return (*self.geographies, GLOBAL_PREFIX)

    def geography_of(self, region: str) -> str | None:
        """The first geography (in catalog order: us, eu, apac, ...) that has ``region``."""
        return next((geo for geo, regions in self.geographies.items() if region in regions), None)


@lru_cache(maxsize=4)
def load_catalog(path: Path = CATALOG_PATH) -> ModelCatalog:
    """Parse and validate the model catalog; raises :class:`ConfigError` naming the bad entry."""
    root = json_file_section(path)
    root.integer("schema_version", choices=(1,))
    as_of = root.string("as_of", pattern=r"\d{4}-\d{2}-\d{2}", pattern_hint="a date YYYY-MM-DD")
    root.raw("notes", None)
    geo_section = root.section("geographies", required=True)
    geo_section.string("as_of", pattern=r"\d{4}-\d{2}-\d{2}", pattern_hint="a date YYYY-MM-DD")
    geo_section.string("source")
    geo_section.string("meaning", None)
    regions_raw = geo_section.raw("regions")
    if not isinstance(regions_raw, Mapping) or not regions_raw:
        raise ConfigError(geo_section.child_path("regions"), "expected an object of geography -> Regions")
    regions_section = Section(regions_raw, geo_section.child_path("regions"))
    geographies = {geo: regions_section.string_list(geo, min_items=1) for geo in regions_raw}
    regions_section.finish()
    geo_section.finish()

    models: dict[str, CatalogModel] = {}
    for entry in root.list_of_sections("models"):
        model_id = entry.string("id", pattern=FOUNDATION_MODEL_ID, pattern_hint="a foundation-model ID")
        if model_id in models:
            raise ConfigError(entry.child_path("id"), f"duplicate model {model_id!r}")
        pricing_section = entry.section("pricing", required=True)
        pricing_section.string("as_of", pattern=r"\d{4}-\d{2}-\d{2}", pattern_hint="a date YYYY-MM-DD")
        pricing_section.string("source")
        pricing: dict[str, Price] = {}
        for routing in ("in_region", "geo", "global"):
            if routing == "in_region" or pricing_section.has(routing):
                price = pricing_section.section(routing, required=True)
                pricing[routing] = Price(price.number("input", minimum=0), price.number("output", minimum=0))
                price.finish()
        pricing_section.finish()
        destinations_raw = entry.raw("destination_regions", {})
        destinations = Section(destinations_raw, entry.child_path("destination_regions"))
        narrowed = {geo: destinations.string_list(geo, min_items=1) for geo in geographies if destinations.has(geo)}
        destinations.finish()
        models[model_id] = CatalogModel(
            id=model_id,
            provider=entry.string("provider"),
            max_output_tokens=entry.integer("max_output_tokens", minimum=1, maximum=1_000_000),
            temperature_max=entry.number("temperature_max", minimum=0, maximum=1, exclusive_minimum=True),
            top_k=entry.boolean("top_k"),
            top_p_with_temperature=entry.boolean("top_p_with_temperature"),
            image=entry.boolean("image"),
            requires_inference_profile=entry.boolean("requires_inference_profile"),
            pricing=types.MappingProxyType(pricing),
            destination_regions=types.MappingProxyType(narrowed),
        )
        entry.string("notes", None)
        entry.finish()
    root.finish()
    return ModelCatalog(as_of=as_of, geographies=types.MappingProxyType(geographies),
                        models=types.MappingProxyType(models))


# ----------------------------------------------------------------------------------------------- typed config


@dataclass(frozen=True)
class AllowedModel:
    """One entry of an environment's allow-list, resolved against the catalog.

    ``routing`` is ``in_region`` (a foundation model in the environment's Region), ``geo`` (a geography
    cross-Region profile such as ``eu.``) or ``global``. ``destination_regions`` are the Regions whose
    foundation-model ARN the invoke grant must cover for a ``geo`` profile.
    """

    id: str
    foundation_model_id: str
    routing: str
    geography: str | None
    destination_regions: tuple[str, ...]
    spec: CatalogModel

    @property
    def price(self) -> Price:
        return self.spec.pricing.get(self.routing) or self.spec.pricing["in_region"]


@dataclass(frozen=True)
class InvocationLoggingConfig:
    """What the owner of an account+Region's model invocation logging delivers and keeps."""

    log_retention_days: int = 30
    bucket_expiration_days: int = 365
    infrequent_access_after_days: int = 30
    noncurrent_version_expiration_days: int = 30
    # Off by default: with these off Bedrock logs metadata only (identity, model, token counts, latency).
    # Turning text on writes every prompt and response, PII included, to the log group and bucket.
    deliver_text_data: bool = False
    deliver_image_data: bool = False
    deliver_embedding_data: bool = False
    deliver_video_data: bool = False
    deliver_audio_data: bool = False


@dataclass(frozen=True)
class BedrockConfig:
    models: tuple[AllowedModel, ...] = ()
    default_models: Mapping[str, str] = field(default_factory=dict)
    guardrail: GuardrailPolicy = DEFAULT_GUARDRAIL
    invocation_logging: InvocationLoggingConfig = field(default_factory=InvocationLoggingConfig)

    def model(self, model_id: str) -> AllowedModel:
        for model in self.models:
            if model.id == model_id:
                return model
        raise KeyError(model_id)


# ----------------------------------------------------------------------------------------------- parsing

# When an environment names no models: these, behind its geography's cross-Region profile.
DEFAULT_ALLOW_LIST = ("anthropic.claude-haiku-4-5-20251001-v1:0", "amazon.nova-lite-v1:0")


def parse_bedrock(section: Section, *, region: str, log_retention_days: int = 30,
                  catalog: ModelCatalog | None = None) -> BedrockConfig:
    catalog = catalog or load_catalog()
    models = _parse_models(section, region, catalog)
    config = BedrockConfig(
        models=models,
        default_models=_parse_default_models(section, models),
        guardrail=parse_guardrail(section.section("guardrail")),
        invocation_logging=_parse_invocation_logging(section.section("invocation_logging"), log_retention_days),
    )
    section.finish()
    return config


def parse_model_id(path: str, value: str, *, region: str, catalog: ModelCatalog) -> AllowedModel:
    """Resolve one allow-list entry, or raise a :class:`ConfigError` that says what is wrong with it."""
    prefixes = catalog.prefixes
    hint = MODEL_ID_HINT.format(prefixes=", ".join(f"{p}." for p in prefixes))
    head, _, rest = value.partition(".")
    if head in prefixes and re.fullmatch(FOUNDATION_MODEL_ID, rest):
        prefix, foundation_id = head, rest
    elif re.fullmatch(FOUNDATION_MODEL_ID, value):
        prefix, foundation_id = None, value
    else:
        raise ConfigError(path, f"{value!r} is not {hint}")
    spec = catalog.models.get(foundation_id)
    if spec is None:
        raise ConfigError(path, f"{foundation_id!r} is not in the model catalog ({CATALOG_PATH.name}); "
                                f"known models: {', '.join(catalog.models)}")
    home = catalog.geography_of(region)
    if prefix is None:
        if spec.requires_inference_profile:
            suggestion = f"{home}.{foundation_id}" if home else f"{GLOBAL_PREFIX}.{foundation_id}"
            raise ConfigError(path, f"{foundation_id!r} is invoked through an inference profile only; "
                                    f"use a cross-Region profile such as {suggestion!r}")
        return AllowedModel(value, foundation_id, "in_region", None, (), spec)
    if prefix == GLOBAL_PREFIX:
        if region.startswith(("us-gov-", "cn-", "us-iso")):
            raise ConfigError(path, f"global profiles route to commercial Regions only; {region} is not one")
        if "global" not in spec.pricing:
            raise ConfigError(path, f"{foundation_id!r} has no global profile in the model catalog")
        return AllowedModel(value, foundation_id, "global", None, (), spec)
    sources = catalog.geographies[prefix]
    if region not in sources:
        allowed = [p for p, regions in catalog.geographies.items() if region in regions]
        raise ConfigError(path, f"{value!r} is a {prefix!r} cross-Region profile, which cannot be called from "
                                f"{region}; allowed prefixes there: {', '.join([*allowed, GLOBAL_PREFIX])}")
    destinations = spec.destination_regions.get(prefix, sources)
    return AllowedModel(value, foundation_id, "geo", prefix, tuple(destinations), spec)


def _parse_models(section: Section, region: str, catalog: ModelCatalog) -> tuple[AllowedModel, ...]:
    path = section.child_path("models")
    if section.has("models"):
        ids = section.string_list("models", min_items=1)
    else:
        section.raw("models", None)
        home = catalog.geography_of(region)
        if home is None:
            raise ConfigError(path, f"is required in {region}: there is no default cross-Region profile for it")
        ids = tuple(f"{home}.{model}" for model in DEFAULT_ALLOW_LIST)
    return tuple(parse_model_id(f"{path}[{i}]", v, region=region, catalog=catalog) for i, v in enumerate(ids))


def _parse_default_models(section: Section, models: tuple[AllowedModel, ...]) -> Mapping[str, str]:
    defaults = section.section("default_models")
    allowed = [m.id for m in models]
    chosen: dict[str, str] = {}
    for family in FAMILIES:
        value = defaults.string(family, None)
        path = defaults.child_path(family)
        if value is None:
            candidates = [m for m in models if m.spec.image] if family == "vision" else list(models)
            if not candidates:
                raise ConfigError(path, "no model in the allow-list accepts images; allow one that does")
            value = candidates[0].id
        elif value not in allowed:
            raise ConfigError(path, f"{value!r} is not in the allow-list {section.child_path('models')}; "
                                    f"allowed values: {', '.join(allowed)}")
        if family == "vision" and not next(m for m in models if m.id == value).spec.image:
            raise ConfigError(path, f"{value!r} does not accept images; allowed values: "
                                    f"{', '.join(m.id for m in models if m.spec.image) or '(none)'}")
        chosen[family] = value
    defaults.finish()
    return types.MappingProxyType(chosen)


def _parse_invocation_logging(section: Section, log_retention_days: int) -> InvocationLoggingConfig:
    from cdk.config.environment import LOG_RETENTION_DAYS

    expiration = section.integer("bucket_expiration_days", 365, minimum=1, maximum=36_500)
    infrequent = section.integer("infrequent_access_after_days", 30, minimum=0, maximum=36_500)
    if infrequent and not 30 <= infrequent < expiration:
        raise ConfigError(section.child_path("infrequent_access_after_days"),
                          f"{infrequent} is out of range; allowed: 0 (never) or [30, bucket_expiration_days - 1]")
    config = InvocationLoggingConfig(
        log_retention_days=section.integer("log_retention_days", log_retention_days, choices=LOG_RETENTION_DAYS),
        bucket_expiration_days=expiration,
        infrequent_access_after_days=infrequent,
        noncurrent_version_expiration_days=section.integer("noncurrent_version_expiration_days", 30,
                                                           minimum=1, maximum=36_500),
        deliver_text_data=section.boolean("deliver_text_data", False),
        deliver_image_data=section.boolean("deliver_image_data", False),
        deliver_embedding_data=section.boolean("deliver_embedding_data", False),
        deliver_video_data=section.boolean("deliver_video_data", False),
        deliver_audio_data=section.boolean("deliver_audio_data", False),
    )
    section.finish()
    return config
