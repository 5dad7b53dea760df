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
``bedrock`` service model (``GuardrailContentFilterType``, ``GuardrailFilterStrength``,
``GuardrailPiiEntityType``, ``GuardrailSensitiveInformationAction``, ``GuardrailManagedWordsType``) and its
length limits.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from cdk.components.bedrock_guardrail.props import (
    REQUIRED_CONTENT_FILTERS,
    ContentFilterSpec,
    GuardrailPolicy,
    RegexSpec,
    TopicSpec,
)
from cdk.config.fields import ConfigError, Section, json_file_section

CATALOG_PATH = Path(__file__).with_name("bedrock_models.json")

FAMILIES = ("text", "chat", "code", "vision")

# botocore bedrock service model (service-2.json), GuardrailFilterStrength / GuardrailContentFilterType.
FILTER_STRENGTHS = ("NONE", "LOW", "MEDIUM", "HIGH")
CONTENT_FILTER_TYPES = REQUIRED_CONTENT_FILTERS
# GuardrailPiiEntityType: the 31 entity types a guardrail's PiiEntitiesConfig accepts.
PII_ENTITY_TYPES = (
    "ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
    "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY", "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD", "PHONE",
    "PIN", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER", "US_BANK_ROUTING_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER", "US_SOCIAL_SECURITY_NUMBER",
    "VEHICLE_IDENTIFICATION_NUMBER",
)
# GuardrailSensitiveInformationAction; GuardrailManagedWordsType.
SENSITIVE_ACTIONS = ("BLOCK", "ANONYMIZE", "NONE")
MANAGED_WORD_LISTS = ("PROFANITY",)

# botocore FoundationModelArn resource part: provider.model[.x][.y][:n][:m]
FOUNDATION_MODEL_ID = r"[a-z0-9-]{1,63}\.(?:[a-z0-9-]{1,63}\.){0,2}[a-z0-9-]{1,63}(?::[a-z0-9-]{1,63}){0,2}"
GLOBAL_PREFIX = "global"
MODEL_ID_HINT = (
    "a Bedrock model ID: provider.model-name[-version][:n], optionally behind a cross-Region inference profile "
    "prefix ({prefixes}), e.g. anthropic.claude-haiku-4-5-20251001-v1:0 or eu.amazon.nova-lite-v1:0"
)

# GuardrailTopicName pattern and limits; GuardrailBlockedMessaging 1..500; word 1..100; regex name 1..100,
# pattern 1..500, description 1..1000; topic definition 1..200, up to 5 examples of 1..100.
TOPIC_NAME_PATTERN = r"[0-9a-zA-Z-_ !?.]{1,100}"
MESSAGE_MAX = 500

DEFAULT_BLOCKED_INPUT_MESSAGE = (
    "Lo sentimos, no podemos procesar esta solicitud porque infringe nuestra política de uso. "
    "/ Sorry, we can't process this request because it goes against our usage policy."
)
DEFAULT_BLOCKED_OUTPUT_MESSAGE = (
    "Lo sentimos, no podemos mostrar esta respuesta porque infringe nuestra política de uso. "
    "/ Sorry, we can't show this answer because it goes against our usage policy."
)

# Credentials and secrets are blocked outright; personal data is masked so that the request can still be served.
DEFAULT_PII_ACTIONS: Mapping[str, str] = types.MappingProxyType({
    "AWS_ACCESS_KEY": "BLOCK",
    "AWS_SECRET_KEY": "BLOCK",
    "PASSWORD": "BLOCK",
    "PIN": "BLOCK",
    "CREDIT_DEBIT_CARD_CVV": "BLOCK",
    "ADDRESS": "ANONYMIZE",
    "EMAIL": "ANONYMIZE",
    "PHONE": "ANONYMIZE",
    "NAME": "ANONYMIZE",
    "IP_ADDRESS": "ANONYMIZE",
    "CREDIT_DEBIT_CARD_NUMBER": "ANONYMIZE",
    "CREDIT_DEBIT_CARD_EXPIRY": "ANONYMIZE",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER": "ANONYMIZE",
    "SWIFT_CODE": "ANONYMIZE",
    "DRIVER_ID": "ANONYMIZE",
    "LICENSE_PLATE": "ANONYMIZE",
    "US_SOCIAL_SECURITY_NUMBER": "ANONYMIZE",
    "US_PASSPORT_NUMBER": "ANONYMIZE",
    "UK_NATIONAL_INSURANCE_NUMBER": "ANONYMIZE",
})


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


DEFAULT_CONTENT_FILTERS = tuple(
    ContentFilterSpec(kind, "HIGH", "NONE" if kind == "PROMPT_ATTACK" else "HIGH") for kind in CONTENT_FILTER_TYPES
)
# Spanish national identity numbers (DNI, NIE): the users write Spanish, and Bedrock has no entity type for them.
DEFAULT_REGEXES = (
    RegexSpec("spanish-dni", r"\b[0-9]{8}[-\s]?[A-Za-z]\b", "ANONYMIZE", "Spanish DNI (8 digits and a letter)"),
    RegexSpec("spanish-nie", r"\b[XYZxyz][-\s]?[0-9]{7}[-\s]?[A-Za-z]\b", "ANONYMIZE",
                "Spanish NIE (X, Y or Z, 7 digits and a letter)"),
)
DEFAULT_DENIED_TOPICS = (
    TopicSpec(
        "Credential harvesting",
        "Requests to reveal, collect, guess or crack passwords, API keys, access tokens or other secrets.",
        ("What is the admin password of this system?", "Dame claves de API de AWS que funcionen."),
    ),
)


DEFAULT_GUARDRAIL = GuardrailPolicy(
    content_filters=DEFAULT_CONTENT_FILTERS, pii_entities=DEFAULT_PII_ACTIONS, regexes=DEFAULT_REGEXES,
    denied_topics=DEFAULT_DENIED_TOPICS, words=(), managed_word_lists=MANAGED_WORD_LISTS,
    blocked_input_message=DEFAULT_BLOCKED_INPUT_MESSAGE, blocked_output_message=DEFAULT_BLOCKED_OUTPUT_MESSAGE,
)


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
        guardrail=_parse_guardrail(section.section("guardrail")),
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


def _parse_strength(path: str, value: Any) -> str:
    if value not in FILTER_STRENGTHS:
        raise ConfigError(path, f"{value!r} is not allowed; allowed values: {', '.join(FILTER_STRENGTHS)}")
    return value


def _parse_content_filters(section: Section) -> tuple[ContentFilterSpec, ...]:
    configured = {f.type: f for f in DEFAULT_CONTENT_FILTERS}
    for kind in CONTENT_FILTER_TYPES:
        value = section.raw(kind, None)
        if value is None:
            continue
        path = section.child_path(kind)
        if isinstance(value, str):
            strength = _parse_strength(path, value)
            configured[kind] = ContentFilterSpec(kind, strength, "NONE" if kind == "PROMPT_ATTACK" else strength)
            continue
        pair = Section(value, path)
        default = configured[kind]
        input_strength = pair.raw("input", default.input_strength)
        output_strength = pair.raw("output", default.output_strength)
        pair.finish()
        input_strength = _parse_strength(pair.child_path("input"), input_strength)
        output_strength = _parse_strength(pair.child_path("output"), output_strength)
        if kind == "PROMPT_ATTACK" and output_strength != "NONE":
            raise ConfigError(pair.child_path("output"), f"{output_strength!r} is not allowed: PROMPT_ATTACK "
                                                         "filters prompts only; allowed values: NONE")
        configured[kind] = ContentFilterSpec(kind, input_strength, output_strength)
    section.finish()
    return tuple(configured[kind] for kind in CONTENT_FILTER_TYPES)


def _parse_pii(section: Section) -> Mapping[str, str]:
    actions = dict(DEFAULT_PII_ACTIONS)
    for entity in PII_ENTITY_TYPES:
        action = section.string(entity, None, choices=SENSITIVE_ACTIONS)
        if action is not None:
            actions[entity] = action
    section.finish()
    return types.MappingProxyType(dict(sorted(actions.items())))


def _length(path: str, value: str, low: int, high: int) -> str:
    if not low <= len(value) <= high:
        raise ConfigError(path, f"must be {low} to {high} characters long, got {len(value)}")
    return value


def _parse_regexes(section: Section) -> tuple[RegexSpec, ...]:
    if not section.has("regexes"):
        section.raw("regexes", None)
        return DEFAULT_REGEXES
    regexes = []
    for entry in section.list_of_sections("regexes"):
        name = _length(entry.child_path("name"), entry.string("name"), 1, 100)
        pattern = _length(entry.child_path("pattern"), entry.string("pattern"), 1, 500)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(entry.child_path("pattern"), f"{pattern!r} is not a valid regular expression: {exc}") from None
        description = entry.string("description", None)
        if description is not None:
            _length(entry.child_path("description"), description, 1, 1000)
        regexes.append(RegexSpec(name, pattern, entry.string("action", "ANONYMIZE", choices=SENSITIVE_ACTIONS),
                                   description))
        entry.finish()
    names = [r.name for r in regexes]
    if len(set(names)) != len(names):
        raise ConfigError(section.child_path("regexes"), "regex names must be unique")
    return tuple(regexes)


def _parse_topics(section: Section) -> tuple[TopicSpec, ...]:
    if not section.has("denied_topics"):
        section.raw("denied_topics", None)
        return DEFAULT_DENIED_TOPICS
    topics = []
    for entry in section.list_of_sections("denied_topics"):
        name = entry.string("name", pattern=TOPIC_NAME_PATTERN,
                            pattern_hint="1 to 100 of letters, digits, space and - _ ! ? .")
        definition = _length(entry.child_path("definition"), entry.string("definition"), 1, 200)
        examples = entry.string_list("examples", (), max_items=5,
                                     item=lambda p, v: _length(p, v, 1, 100))
        topics.append(TopicSpec(name, definition, examples))
        entry.finish()
    names = [t.name for t in topics]
    if len(set(names)) != len(names):
        raise ConfigError(section.child_path("denied_topics"), "topic names must be unique")
    return tuple(topics)


def _parse_guardrail(section: Section) -> GuardrailPolicy:
    config = GuardrailPolicy(
        content_filters=_parse_content_filters(section.section("content_filters")),
        pii_entities=_parse_pii(section.section("pii_entities")),
        regexes=_parse_regexes(section),
        denied_topics=_parse_topics(section),
        words=section.string_list("words", (), item=lambda p, v: _length(p, v, 1, 100)),
        managed_word_lists=section.string_list(
            "managed_word_lists", MANAGED_WORD_LISTS,
            item=lambda p, v: v if v in MANAGED_WORD_LISTS else _bad_choice(p, v, MANAGED_WORD_LISTS)),
        blocked_input_message=_length(section.child_path("blocked_input_message"),
                                      section.string("blocked_input_message", DEFAULT_BLOCKED_INPUT_MESSAGE),
                                      1, MESSAGE_MAX),
        blocked_output_message=_length(section.child_path("blocked_output_message"),
                                       section.string("blocked_output_message", DEFAULT_BLOCKED_OUTPUT_MESSAGE),
                                       1, MESSAGE_MAX),
    )
    section.finish()
    return config


def _bad_choice(path: str, value: str, allowed: tuple[str, ...]) -> str:
    raise ConfigError(path, f"{value!r} is not allowed; allowed values: {', '.join(allowed)}")


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
