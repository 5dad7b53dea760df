"""The ``bedrock.guardrail`` section -> the guardrail component's :class:`GuardrailPolicy` (its props).

Values are checked against the enums of the botocore ``bedrock`` service model (``GuardrailContentFilterType``,
``GuardrailFilterStrength``, ``GuardrailPiiEntityType``, ``GuardrailSensitiveInformationAction``,
``GuardrailManagedWordsType``) and its length limits.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from typing import Any

from cdk.components.bedrock_guardrail.props import (
    REQUIRED_CONTENT_FILTERS,
    ContentFilterSpec,
    GuardrailPolicy,
    RegexSpec,
    TopicSpec,
)
from cdk.config.fields import ConfigError, Section

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


def parse_guardrail(section: Section) -> GuardrailPolicy:
    """``bedrock.guardrail`` -> the guardrail component's :class:`GuardrailPolicy`; every key has a default."""
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
