"""Settings: defaults, validation messages, environment parsing, constants vs the service models."""

from __future__ import annotations

import json

import botocore.session
import pytest
from safety import (
    DEFAULT_SAFETY_SETTINGS,
    PII_ENTITY_TYPES,
    TOXICITY_LABELS,
    SafetyFilter,
    SafetySettings,
)

from .helpers import GUARDRAIL_ARN, GUARDRAIL_VERSION


def test_pii_entity_types_match_the_botocore_service_model():
    model = botocore.session.get_session().get_service_model("comprehend")
    enum = model.shape_for("PiiEntityType").enum
    assert set(PII_ENTITY_TYPES) == set(enum) - {"ALL"}
    assert "ALL" not in PII_ENTITY_TYPES


def test_toxicity_labels_match_the_botocore_service_model():
    model = botocore.session.get_session().get_service_model("comprehend")
    assert set(TOXICITY_LABELS) == set(model.shape_for("ToxicContentType").enum)


def test_defaults_block_credentials_and_mask_everything_else():
    settings = SafetySettings.from_dict({})
    for entity_type in ("AWS_ACCESS_KEY", "AWS_SECRET_KEY", "PASSWORD", "PIN", "CREDIT_DEBIT_CVV"):
        assert settings.action_for(entity_type) == "block"
    for entity_type in ("NAME", "EMAIL", "CREDIT_DEBIT_NUMBER", "SSN", "ADDRESS"):
        assert settings.action_for(entity_type) == "mask"
    assert settings.fail_open is False
    assert settings.language == "auto"
    assert settings.supported_languages == ("en", "es")
    assert set(settings.toxicity_label_thresholds) == set(TOXICITY_LABELS)


def test_default_settings_dict_is_json_and_round_trips():
    loaded = json.loads(json.dumps(DEFAULT_SAFETY_SETTINGS))
    settings = SafetySettings.from_dict(loaded)
    assert settings == SafetySettings.from_dict({})
    exported = settings.to_dict()
    assert {key: exported[key] for key in DEFAULT_SAFETY_SETTINGS} == DEFAULT_SAFETY_SETTINGS


def test_pii_actions_merge_over_the_default_blocks():
    settings = SafetySettings.from_dict({"pii_actions": {"NAME": "allow", "PIN": "mask"}, "pii_default_action": "block"})
    assert settings.action_for("NAME") == "allow"
    assert settings.action_for("PIN") == "mask"
    assert settings.action_for("AWS_SECRET_KEY") == "block"
    assert settings.action_for("EMAIL") == "block"


def test_settings_are_frozen():
    settings = SafetySettings.from_dict({})
    with pytest.raises(AttributeError):
        settings.pii_mode = "pseudonymize"  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.pii_actions["NAME"] = "allow"  # type: ignore[index]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"pii_mode": "hash"}, "pii_mode: 'hash' is not one of ['redact', 'pseudonymize']"),
        ({"pii_default_action": "drop"}, "pii_default_action: 'drop' is not one of ['mask', 'block', 'allow']"),
        ({"pii_actions": {"SOCIAL": "mask"}}, "pii_actions.SOCIAL: unknown PII entity type"),
        ({"pii_actions": {"NAME": "hide"}}, "pii_actions.NAME: 'hide' is not one of ['mask', 'block', 'allow']"),
        ({"pii_min_score": 1.5}, "pii_min_score: 1.5 must be between 0.0 and 1.0"),
        ({"toxicity_threshold": "high"}, "toxicity_threshold: 'high' must be a number"),
        ({"toxicity_label_thresholds": {"RUDE": 0.5}}, "toxicity_label_thresholds.RUDE: unknown toxicity label"),
        ({"toxicity_label_thresholds": {"INSULT": -0.1}}, "toxicity_label_thresholds.INSULT: -0.1 must be between"),
        ({"language": "fr"}, "language: 'fr' is not one of ['auto', 'en', 'es']"),
        ({"supported_languages": ["en", "fr"]}, "supported_languages: must be a non-empty list drawn from ['en', 'es']"),
        ({"supported_languages": ["en"], "language": "es"}, "language: 'es' is not one of ['auto', 'en']"),
        ({"strict_language": "yes"}, "strict_language: 'yes' must be true or false"),
        ({"fail_open": 1}, "fail_open: 1 must be true or false"),
        ({"max_input_chars": 0}, "max_input_chars: 0 must be an integer between 1 and 1000000"),
        ({"max_input_chars": True}, "max_input_chars: True must be an integer"),
        ({"timeout_seconds": 0}, "timeout_seconds: 0 must be between 0.05 and 60.0"),
        ({"pii_modes": "redact"}, "pii_modes: unknown key"),
        ({"guardrail_arn": GUARDRAIL_ARN, "guardrail_version": "DRAFT"}, "guardrail_version: must be a pinned numeric version"),
        ({"guardrail_arn": "Bad Id!", "guardrail_version": "1"}, "guardrail_arn: must be a guardrail ARN"),
        ({"guardrail_arn": "gr0abc123def", "guardrail_version": "1"}, "not a bare id"),
        ({"guardrail_arn": GUARDRAIL_ARN}, "guardrail_arn and guardrail_version must be set together"),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_values(data, message):
    with pytest.raises(ValueError) as caught:
        SafetySettings.from_dict(data)
    assert message in str(caught.value)


def test_from_env_reads_safety_config_and_guardrail_variables():
    environ = {
        "SAFETY_CONFIG": json.dumps({"pii_mode": "pseudonymize", "toxicity_label_thresholds": {"INSULT": 0.9}}),
        "GUARDRAIL_ARN": GUARDRAIL_ARN,
        "GUARDRAIL_VERSION": GUARDRAIL_VERSION,
        "UNRELATED": "ignored",
    }
    settings = SafetySettings.from_environment(environ)
    assert settings.pii_mode == "pseudonymize"
    assert settings.toxicity_label_thresholds["INSULT"] == 0.9
    default_hate = DEFAULT_SAFETY_SETTINGS["toxicity_label_thresholds"]["HATE_SPEECH"]
    assert settings.toxicity_label_thresholds["HATE_SPEECH"] == default_hate
    assert (settings.guardrail_arn, settings.guardrail_version) == (GUARDRAIL_ARN, GUARDRAIL_VERSION)


def test_to_environment_round_trips():
    settings = SafetySettings.from_dict({"pii_mode": "pseudonymize", "pii_actions": {"EMAIL": "allow"}})
    settings = settings.with_guardrail(GUARDRAIL_ARN, GUARDRAIL_VERSION)
    environ = settings.to_environment()
    assert set(environ) == {"SAFETY_CONFIG", "GUARDRAIL_ARN", "GUARDRAIL_VERSION"}
    assert SafetySettings.from_environment(environ) == settings


def test_from_env_without_anything_gives_defaults():
    assert SafetySettings.from_environment({}) == SafetySettings.from_dict({})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "SAFETY_CONFIG: not valid JSON"),
        ("[1, 2]", "SAFETY_CONFIG: must be a JSON object"),
        ('{"pii_mode": "x"}', "SAFETY_CONFIG.pii_mode: 'x' is not one of"),
        ('{"guardrail_arn": "abc"}', "SAFETY_CONFIG.guardrail_arn: set it through GUARDRAIL_ARN"),
    ],
)
def test_from_env_errors_name_the_variable(raw, message):
    with pytest.raises(ValueError) as caught:
        SafetySettings.from_environment({"SAFETY_CONFIG": raw})
    assert message in str(caught.value)


def test_filter_requires_a_guardrail_when_a_language_needs_it(comprehend, bedrock):
    with pytest.raises(ValueError, match="GUARDRAIL_ARN and GUARDRAIL_VERSION must be set"):
        SafetyFilter(SafetySettings.from_dict({}), comprehend=comprehend, bedrock_runtime=bedrock)
    english_only = SafetySettings.from_dict({"supported_languages": ["en"]})
    with SafetyFilter(english_only, comprehend=comprehend, bedrock_runtime=None) as safety_filter:
        assert safety_filter.settings.supported_languages == ("en",)
    lenient = SafetySettings.from_dict({"supported_languages": ["en"], "strict_language": False})
    with pytest.raises(ValueError, match="GUARDRAIL_ARN"):
        SafetyFilter(lenient, comprehend=comprehend, bedrock_runtime=bedrock)
