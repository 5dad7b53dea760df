"""Section ``safety``: the orchestrator's PII and toxicity filters, rendered into ``SAFETY_CONFIG``.

Every key has a default (the runtime's own defaults, ``lambdas/orchestrator/safety/settings.py``), so an
environment states only what it changes::

    "safety": {"pii_actions": {"EMAIL": "allow"}, "toxicity_label_thresholds": {"PROFANITY": 0.9}}

``pii_actions`` and ``toxicity_label_thresholds`` are merged over the defaults, so naming one entity
type never silently drops the default ``block`` of the credential types. ``fail_open`` (let a request
through when Comprehend is unavailable) is false unless an environment sets it, and synth then warns.
"""

from __future__ import annotations

import difflib
import json
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cdk.config.fields import ConfigError, Section

# Amazon Comprehend PII entity types: botocore's comprehend 2017-11-27 service model, shape
# ``PiiEntityType``, without ``ALL`` (a request-side wildcard, never an entity's type).
# tests/unit/config/test_safety.py checks this list against the installed botocore model.
PII_ENTITY_TYPES: tuple[str, ...] = (
    "BANK_ACCOUNT_NUMBER", "BANK_ROUTING", "CREDIT_DEBIT_NUMBER", "CREDIT_DEBIT_CVV", "CREDIT_DEBIT_EXPIRY", "PIN",
    "EMAIL", "ADDRESS", "NAME", "PHONE", "SSN", "DATE_TIME", "PASSPORT_NUMBER", "DRIVER_ID", "URL", "AGE",
    "USERNAME", "PASSWORD", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "IP_ADDRESS", "MAC_ADDRESS", "LICENSE_PLATE",
    "VEHICLE_IDENTIFICATION_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "IN_PERMANENT_ACCOUNT_NUMBER",
    "IN_NREGA", "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    "CA_HEALTH_NUMBER", "IN_AADHAAR", "IN_VOTER_NUMBER",
)
# Comprehend DetectToxicContent labels (shape ``ToxicContentType`` in the same model).
TOXICITY_LABELS: tuple[str, ...] = (
    "GRAPHIC", "HARASSMENT_OR_ABUSE", "HATE_SPEECH", "INSULT", "PROFANITY", "SEXUAL", "VIOLENCE_OR_THREAT",
)
# DetectPiiEntities accepts English and Spanish only (API reference, LanguageCode).
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "es")
PII_MODES = ("redact", "pseudonymize")
PII_ACTIONS = ("mask", "block", "allow")

# Credentials are blocked outright; every other entity type follows pii_default_action.
DEFAULT_PII_ACTIONS: Mapping[str, str] = types.MappingProxyType(
    {entity: "block" for entity in ("AWS_ACCESS_KEY", "AWS_SECRET_KEY", "PASSWORD", "PIN", "CREDIT_DEBIT_CVV")}
)
DEFAULT_TOXICITY_LABEL_THRESHOLDS: Mapping[str, float] = types.MappingProxyType(
    # Mild profanity is common in ordinary prompts: block it only when the model is sure.
    {label: (0.7 if label == "PROFANITY" else 0.5) for label in TOXICITY_LABELS}
)


@dataclass(frozen=True)
class SafetyConfig:
    pii_mode: str = "redact"
    pii_default_action: str = "mask"
    pii_actions: Mapping[str, str] = field(default_factory=lambda: DEFAULT_PII_ACTIONS)
    pii_min_score: float = 0.5
    toxicity_threshold: float = 0.5
    toxicity_label_thresholds: Mapping[str, float] = field(default_factory=lambda: DEFAULT_TOXICITY_LABEL_THRESHOLDS)
    language: str = "auto"
    strict_language: bool = True
    supported_languages: tuple[str, ...] = SUPPORTED_LANGUAGES
    fail_open: bool = False
    max_input_chars: int = 20_000
    timeout_seconds: float = 4.0

    def runtime_settings(self) -> dict[str, Any]:
        """The ``SAFETY_CONFIG`` object the orchestrator's safety package reads (every key, explicit)."""
        return {
            "pii_mode": self.pii_mode,
            "pii_default_action": self.pii_default_action,
            "pii_actions": dict(sorted(self.pii_actions.items())),
            "pii_min_score": self.pii_min_score,
            "toxicity_threshold": self.toxicity_threshold,
            "toxicity_label_thresholds": dict(sorted(self.toxicity_label_thresholds.items())),
            "language": self.language,
            "strict_language": self.strict_language,
            "supported_languages": list(self.supported_languages),
            "fail_open": self.fail_open,
            "max_input_chars": self.max_input_chars,
            "timeout_seconds": self.timeout_seconds,
        }

    def to_json(self) -> str:
        """Compact JSON for the ``SAFETY_CONFIG`` environment variable (Lambda's 4 KB budget is shared)."""
        return json.dumps(self.runtime_settings(), separators=(",", ":"))


def parse_safety(section: Section) -> SafetyConfig:
    defaults = SafetyConfig()
    pii_actions = dict(DEFAULT_PII_ACTIONS)
    actions = section.section("pii_actions")
    for entity in PII_ENTITY_TYPES:
        if actions.has(entity):
            pii_actions[entity] = actions.string(entity, choices=PII_ACTIONS)
    _finish_map(actions, PII_ENTITY_TYPES, "PII entity type")

    label_thresholds = dict(DEFAULT_TOXICITY_LABEL_THRESHOLDS)
    labels = section.section("toxicity_label_thresholds")
    for label in TOXICITY_LABELS:
        if labels.has(label):
            label_thresholds[label] = labels.number(label, minimum=0.0, maximum=1.0)
    _finish_map(labels, TOXICITY_LABELS, "toxicity label")

    supported = section.string_list(
        "supported_languages", defaults.supported_languages, min_items=1,
        item=lambda path, code: _language(path, code, SUPPORTED_LANGUAGES),
    )
    config = SafetyConfig(
        pii_mode=section.string("pii_mode", defaults.pii_mode, choices=PII_MODES),
        pii_default_action=section.string("pii_default_action", defaults.pii_default_action, choices=PII_ACTIONS),
        pii_actions=types.MappingProxyType(pii_actions),
        pii_min_score=section.number("pii_min_score", defaults.pii_min_score, minimum=0.0, maximum=1.0),
        toxicity_threshold=section.number("toxicity_threshold", defaults.toxicity_threshold, minimum=0.0, maximum=1.0),
        toxicity_label_thresholds=types.MappingProxyType(label_thresholds),
        language=section.string("language", defaults.language, choices=("auto", *supported)),
        strict_language=section.boolean("strict_language", defaults.strict_language),
        supported_languages=supported,
        fail_open=section.boolean("fail_open", defaults.fail_open),
        max_input_chars=section.integer("max_input_chars", defaults.max_input_chars, minimum=1, maximum=1_000_000),
        # The runtime accepts 0.05..60 s for one whole screening (every filter call of one text).
        timeout_seconds=section.number("timeout_seconds", defaults.timeout_seconds, minimum=0.05, maximum=60.0),
    )
    section.finish()
    return config


def _finish_map(section: Section, allowed: tuple[str, ...], what: str) -> None:
    try:
        section.finish()
    except ConfigError as error:
        unknown = error.path.rsplit(".", 1)[-1]
        close = difflib.get_close_matches(unknown, allowed, n=1, cutoff=0.75)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(error.path, f"unknown {what}; {hint}allowed: {', '.join(allowed)}") from None


def _language(path: str, code: str, allowed: tuple[str, ...]) -> str:
    if code not in allowed:
        raise ConfigError(path, f"{code!r} is not allowed; allowed values: {', '.join(allowed)}")
    return code
