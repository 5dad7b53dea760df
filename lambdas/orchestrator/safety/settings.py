"""The safety package's settings contract: one frozen, validated object and its environment variables.

Stdlib only: the stacks import it (through ``cdk/runtime_contracts.py``) to serialize the values,
the function parses them with it, so every key, default, bound and list is written once here.

Variables (:meth:`SafetySettings.to_environment` writes them, :meth:`SafetySettings.from_environment`
reads them; a bad value raises ``ValueError`` naming the key path and the allowed values):

``SAFETY_CONFIG``      JSON object of the keys of :data:`DEFAULT_SAFETY_SETTINGS` (absent keys: defaults)
``GUARDRAIL_ARN``      the guardrail's ARN (not its bare id: see :data:`GUARDRAIL_ARN_PATTERN`)
``GUARDRAIL_VERSION``  a pinned numeric version (DRAFT refused)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

# Amazon Comprehend PII entity types, copied from botocore's service model (comprehend
# 2017-11-27, shape ``PiiEntityType``, botocore 1.44.8) without its ``ALL`` member, which is a
# request-side wildcard and never an entity's type. tests/unit/safety checks it against the model.
PII_ENTITY_TYPES: tuple[str, ...] = (
    "BANK_ACCOUNT_NUMBER",
    "BANK_ROUTING",
    "CREDIT_DEBIT_NUMBER",
    "CREDIT_DEBIT_CVV",
    "CREDIT_DEBIT_EXPIRY",
    "PIN",
    "EMAIL",
    "ADDRESS",
    "NAME",
    "PHONE",
    "SSN",
    "DATE_TIME",
    "PASSPORT_NUMBER",
    "DRIVER_ID",
    "URL",
    "AGE",
    "USERNAME",
    "PASSWORD",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "IP_ADDRESS",
    "MAC_ADDRESS",
    "LICENSE_PLATE",
    "VEHICLE_IDENTIFICATION_NUMBER",
    "UK_NATIONAL_INSURANCE_NUMBER",
    "CA_SOCIAL_INSURANCE_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER",
    "IN_PERMANENT_ACCOUNT_NUMBER",
    "IN_NREGA",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "SWIFT_CODE",
    "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    "CA_HEALTH_NUMBER",
    "IN_AADHAAR",
    "IN_VOTER_NUMBER",
)

# Comprehend toxicity labels (shape ``ToxicContentType`` in the same model).
TOXICITY_LABELS: tuple[str, ...] = (
    "GRAPHIC",
    "HARASSMENT_OR_ABUSE",
    "HATE_SPEECH",
    "INSULT",
    "PROFANITY",
    "SEXUAL",
    "VIOLENCE_OR_THREAT",
)

# DetectPiiEntities: "Enter the language code for English (en) or Spanish (es)" (API reference).
COMPREHEND_PII_LANGUAGES: tuple[str, ...] = ("en", "es")
# DetectToxicContent: "Currently, English is the only supported language" (API reference).
COMPREHEND_TOXICITY_LANGUAGES: tuple[str, ...] = ("en",)

PII_MODES = ("redact", "pseudonymize")
PII_ACTIONS = ("mask", "block", "allow")
LANGUAGE_CHOICES = ("auto", *COMPREHEND_PII_LANGUAGES)

# Credentials-type entities are blocked by default; every other type is masked.
_DEFAULT_BLOCKED_TYPES = ("AWS_ACCESS_KEY", "AWS_SECRET_KEY", "PASSWORD", "PIN", "CREDIT_DEBIT_CVV")

DEFAULT_SAFETY_SETTINGS: dict[str, Any] = {
    "pii_mode": "redact",
    "pii_default_action": "mask",
    "pii_actions": {entity_type: "block" for entity_type in _DEFAULT_BLOCKED_TYPES},
    "pii_min_score": 0.5,
    "toxicity_threshold": 0.5,
    "toxicity_label_thresholds": {
        "GRAPHIC": 0.5,
        "HARASSMENT_OR_ABUSE": 0.5,
        "HATE_SPEECH": 0.5,
        "INSULT": 0.5,
        # Mild profanity is common in ordinary prompts; block it only when the model is sure.
        "PROFANITY": 0.7,
        "SEXUAL": 0.5,
        "VIOLENCE_OR_THREAT": 0.5,
    },
    "language": "auto",
    "strict_language": True,
    "supported_languages": ["en", "es"],
    "fail_open": False,
    "max_input_chars": 20_000,
    "timeout_seconds": 4.0,
}
"""The defaults of every ``SAFETY_CONFIG`` key, JSON-able so the CDK side can reuse them."""

_CONFIG_KEYS = frozenset(DEFAULT_SAFETY_SETTINGS)
_EXTRA_KEYS = frozenset({"guardrail_arn", "guardrail_version"})

SAFETY_CONFIG_VARIABLE = "SAFETY_CONFIG"
GUARDRAIL_ARN_VARIABLE = "GUARDRAIL_ARN"
GUARDRAIL_VERSION_VARIABLE = "GUARDRAIL_VERSION"

# The guardrail is named by its ARN in every request that carries it (Converse, ConverseStream,
# InvokeModel, ApplyGuardrail): IAM's ``bedrock:GuardrailIdentifier`` condition is written as
# ``<guardrail ARN>:<version>`` (AWS's enforcement example), and whether IAM also matches a bare id
# is not documented. Verified in botocore 1.44.8's bedrock-runtime 2023-09-30 model: the shared shape
# ``GuardrailIdentifier`` (used by ConverseRequest.guardrailConfig, ConverseStream's
# GuardrailStreamConfiguration, InvokeModel[WithResponseStream] header X-Amzn-Bedrock-GuardrailIdentifier
# and ApplyGuardrail's URI) has the pattern ``(|([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:
# [0-9]{12}:guardrail/[a-z0-9]+))``: an ARN is accepted everywhere. Only its ARN branch is allowed here.
GUARDRAIL_ARN_PATTERN = r"^arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+$"
# GuardrailVersion pattern ``(|([1-9][0-9]{0,7})|(DRAFT))`` in the same model, DRAFT refused: a pinned version.
GUARDRAIL_VERSION_PATTERN = r"^[1-9][0-9]{0,7}$"
_GUARDRAIL_ARN_RE = re.compile(GUARDRAIL_ARN_PATTERN)
_GUARDRAIL_VERSION_RE = re.compile(GUARDRAIL_VERSION_PATTERN)


def _frozen_map(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class SafetySettings:
    """Validated safety settings. Build with :meth:`from_dict` or :meth:`from_env`."""

    pii_mode: str = DEFAULT_SAFETY_SETTINGS["pii_mode"]
    pii_default_action: str = DEFAULT_SAFETY_SETTINGS["pii_default_action"]
    pii_actions: Mapping[str, str] = field(default_factory=lambda: _frozen_map(DEFAULT_SAFETY_SETTINGS["pii_actions"]))
    pii_min_score: float = DEFAULT_SAFETY_SETTINGS["pii_min_score"]
    toxicity_threshold: float = DEFAULT_SAFETY_SETTINGS["toxicity_threshold"]
    toxicity_label_thresholds: Mapping[str, float] = field(
        default_factory=lambda: _frozen_map(DEFAULT_SAFETY_SETTINGS["toxicity_label_thresholds"])
    )
    language: str = DEFAULT_SAFETY_SETTINGS["language"]
    strict_language: bool = DEFAULT_SAFETY_SETTINGS["strict_language"]
    supported_languages: tuple[str, ...] = tuple(DEFAULT_SAFETY_SETTINGS["supported_languages"])
    fail_open: bool = DEFAULT_SAFETY_SETTINGS["fail_open"]
    max_input_chars: int = DEFAULT_SAFETY_SETTINGS["max_input_chars"]
    timeout_seconds: float = DEFAULT_SAFETY_SETTINGS["timeout_seconds"]
    guardrail_arn: str | None = None
    guardrail_version: str | None = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any] | None = None, *, source: str = "", names: Mapping[str, str] | None = None
    ) -> SafetySettings:
        """Validate ``data`` (``SAFETY_CONFIG`` keys, plus optional ``guardrail_arn`` /
        ``guardrail_version``) over the defaults. ``pii_actions`` and
        ``toxicity_label_thresholds`` are merged over the default maps, so naming one type does
        not silently drop the default blocks of the others. ``names`` renames keys in messages
        (e.g. ``guardrail_arn`` -> ``GUARDRAIL_ARN``, the variable it came from)."""
        data = dict(data or {})
        prefix = f"{source}." if source else ""
        unknown = sorted(set(data) - _CONFIG_KEYS - _EXTRA_KEYS)
        if unknown:
            raise ValueError(f"{prefix}{unknown[0]}: unknown key; allowed keys are {sorted(_CONFIG_KEYS | _EXTRA_KEYS)}")

        def get(key: str) -> Any:
            return data.get(key, DEFAULT_SAFETY_SETTINGS.get(key))

        def path(key: str) -> str:
            return (names or {}).get(key) or f"{prefix}{key}"

        pii_mode = _choice(get("pii_mode"), PII_MODES, path("pii_mode"))
        default_action = _choice(get("pii_default_action"), PII_ACTIONS, path("pii_default_action"))

        def merged(key: str, shape: str, allowed: Any, unknown: str, parse: Any) -> dict[str, Any]:
            """``data[key]`` merged over the default map, each name checked and value parsed."""
            result = dict(DEFAULT_SAFETY_SETTINGS[key])
            raw = data.get(key, {})
            if not isinstance(raw, Mapping):
                raise ValueError(f"{path(key)}: must be an object {shape}")
            for name, value in raw.items():
                key_path = f"{path(key)}.{name}"
                if name not in allowed:
                    raise ValueError(f"{key_path}: {unknown} {list(allowed)}")
                result[name] = parse(value, key_path)
            return result

        actions = merged(
            "pii_actions",
            "{ENTITY_TYPE: action}",
            PII_ENTITY_TYPES,
            "unknown PII entity type; allowed types are",
            lambda value, key_path: _choice(value, PII_ACTIONS, key_path),
        )
        thresholds = merged(
            "toxicity_label_thresholds",
            "{LABEL: 0..1}",
            TOXICITY_LABELS,
            "unknown toxicity label; allowed labels are",
            _unit_interval,
        )

        supported = get("supported_languages")
        if (
            not isinstance(supported, (list, tuple))
            or not supported
            or any(code not in COMPREHEND_PII_LANGUAGES for code in supported)
        ):
            raise ValueError(
                f"{path('supported_languages')}: must be a non-empty list drawn from {list(COMPREHEND_PII_LANGUAGES)}"
            )
        supported_t = tuple(dict.fromkeys(supported))
        language = _choice(get("language"), ("auto", *supported_t), path("language"))

        guardrail_arn = data.get("guardrail_arn") or None
        if guardrail_arn is not None and (not isinstance(guardrail_arn, str) or not _GUARDRAIL_ARN_RE.match(guardrail_arn)):
            raise ValueError(
                f"{path('guardrail_arn')}: must be a guardrail ARN (arn:<partition>:bedrock:<region>:<account>:guardrail/<id>), "
                "not a bare id: IAM's bedrock:GuardrailIdentifier condition names the ARN"
            )
        guardrail_version = data.get("guardrail_version") or None
        if guardrail_version is not None:
            guardrail_version = str(guardrail_version)
            if not _GUARDRAIL_VERSION_RE.match(guardrail_version):
                raise ValueError(
                    f"{path('guardrail_version')}: must be a pinned numeric version (1..99999999); DRAFT is not allowed"
                )
        if (guardrail_arn is None) != (guardrail_version is None):
            arn, version = path("guardrail_arn"), path("guardrail_version")
            raise ValueError(f"{arn}: {arn} and {version} must be set together")

        return cls(
            pii_mode=pii_mode,
            pii_default_action=default_action,
            pii_actions=_frozen_map(actions),
            pii_min_score=_unit_interval(get("pii_min_score"), path("pii_min_score")),
            toxicity_threshold=_unit_interval(get("toxicity_threshold"), path("toxicity_threshold")),
            toxicity_label_thresholds=_frozen_map(thresholds),
            language=language,
            strict_language=_boolean(get("strict_language"), path("strict_language")),
            supported_languages=supported_t,
            fail_open=_boolean(get("fail_open"), path("fail_open")),
            max_input_chars=_integer(get("max_input_chars"), path("max_input_chars"), 1, 1_000_000),
            timeout_seconds=_number(get("timeout_seconds"), path("timeout_seconds"), 0.05, 60.0),
            guardrail_arn=guardrail_arn,
            guardrail_version=guardrail_version,
        )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> SafetySettings:
        """Read ``SAFETY_CONFIG`` (a JSON object; absent or empty means all defaults) and
        ``GUARDRAIL_ARN`` / ``GUARDRAIL_VERSION``."""
        raw = (environ.get(SAFETY_CONFIG_VARIABLE) or "").strip()
        data: dict[str, Any] = {}
        if raw:
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"SAFETY_CONFIG: not valid JSON ({exc.msg} at position {exc.pos})") from None
            if not isinstance(data, dict):
                raise ValueError("SAFETY_CONFIG: must be a JSON object")
            for key in _EXTRA_KEYS:
                if key in data:
                    raise ValueError(f"SAFETY_CONFIG.{key}: set it through {key.upper()}, not SAFETY_CONFIG")
        if environ.get(GUARDRAIL_ARN_VARIABLE):
            data["guardrail_arn"] = environ[GUARDRAIL_ARN_VARIABLE]
        if environ.get(GUARDRAIL_VERSION_VARIABLE):
            data["guardrail_version"] = environ[GUARDRAIL_VERSION_VARIABLE]
        names = {"guardrail_arn": GUARDRAIL_ARN_VARIABLE, "guardrail_version": GUARDRAIL_VERSION_VARIABLE}
        return cls.from_dict(data, source=SAFETY_CONFIG_VARIABLE, names=names)

    def to_environment(self) -> dict[str, str]:
        """The variables :meth:`from_environment` reads. The guardrail values may be CloudFormation
        tokens at synth: they are written as given (the function validates them at cold start)."""
        environment = {SAFETY_CONFIG_VARIABLE: json.dumps(self.config(), separators=(",", ":"))}
        if self.guardrail_arn:
            environment[GUARDRAIL_ARN_VARIABLE] = self.guardrail_arn
            environment[GUARDRAIL_VERSION_VARIABLE] = str(self.guardrail_version)
        return environment

    def with_guardrail(self, guardrail_arn: str, guardrail_version: str) -> SafetySettings:
        """These settings with the guardrail set (unvalidated: at synth both are tokens)."""
        return replace(self, guardrail_arn=guardrail_arn, guardrail_version=guardrail_version)

    # ------------------------------------------------------------------ helpers
    def action_for(self, entity_type: str) -> str:
        return self.pii_actions.get(entity_type, self.pii_default_action)

    @property
    def guardrail_configured(self) -> bool:
        return bool(self.guardrail_arn and self.guardrail_version)

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-able dict (``SAFETY_CONFIG`` keys plus the guardrail)."""
        return {**self.config(), "guardrail_arn": self.guardrail_arn, "guardrail_version": self.guardrail_version}

    def config(self) -> dict[str, Any]:
        """The ``SAFETY_CONFIG`` object: every key, explicit, maps sorted."""
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


def _choice(value: Any, allowed: tuple[str, ...], key_path: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{key_path}: {value!r} is not one of {list(allowed)}")
    return value


def _boolean(value: Any, key_path: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{key_path}: {value!r} must be true or false")
    return value


def _number(value: Any, key_path: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{key_path}: {value!r} must be a number between {low} and {high}")
    if not low <= value <= high:
        raise ValueError(f"{key_path}: {value!r} must be between {low} and {high}")
    return float(value)


def _unit_interval(value: Any, key_path: str) -> float:
    return _number(value, key_path, 0.0, 1.0)


def _integer(value: Any, key_path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{key_path}: {value!r} must be an integer between {low} and {high}")
    return value
