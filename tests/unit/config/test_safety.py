"""Section ``safety``: defaults equal the runtime's, bad values name the key path and the allowed values."""

from __future__ import annotations

import json

import botocore.session
import pytest

from cdk.config import ConfigError, load_app_config
from cdk.config.fields import Section
from cdk.config.safety import PII_ENTITY_TYPES, TOXICITY_LABELS, SafetyConfig, parse_safety
from tests.infra.synth import cdk_context


def _parse(raw):
    return parse_safety(Section(raw, "environments.dev.safety"))


def test_entity_types_and_labels_match_comprehends_service_model():
    model = botocore.session.get_session().get_service_model("comprehend")
    assert set(PII_ENTITY_TYPES) == set(model.shape_for("PiiEntityType").enum) - {"ALL"}
    assert set(TOXICITY_LABELS) == set(model.shape_for("ToxicContentType").enum)


def test_the_section_is_the_runtimes_settings_contract_and_round_trips_through_the_environment():
    from safety import settings as runtime  # the orchestrator's contract: one list, one set of defaults

    assert SafetyConfig is runtime.SafetySettings and PII_ENTITY_TYPES is runtime.PII_ENTITY_TYPES
    assert SafetyConfig().config() == _parse({}).config()
    custom = _parse({"pii_mode": "pseudonymize", "pii_actions": {"EMAIL": "allow"}, "language": "es",
                     "toxicity_label_thresholds": {"INSULT": 0.9}, "supported_languages": ["es"]})
    settings = runtime.SafetySettings.from_environment(custom.to_environment())
    assert settings == custom
    assert settings.action_for("EMAIL") == "allow" and settings.action_for("PASSWORD") == "block"
    assert settings.toxicity_label_thresholds["INSULT"] == 0.9 and settings.language == "es"


def test_overrides_merge_over_the_default_maps():
    config = _parse({"pii_actions": {"EMAIL": "block"}, "toxicity_label_thresholds": {"PROFANITY": 0.9}})
    assert config.pii_actions["EMAIL"] == "block" and config.pii_actions["AWS_SECRET_KEY"] == "block"
    assert config.toxicity_label_thresholds["PROFANITY"] == 0.9 and config.toxicity_label_thresholds["INSULT"] == 0.5


def test_fail_open_is_false_by_default_and_in_every_shipped_environment():
    assert SafetyConfig().fail_open is False
    for env in load_app_config(cdk_context()).environments:
        assert env.safety.fail_open is False, env.name
    assert _parse({"fail_open": True}).fail_open is True


def test_safety_config_json_is_compact():
    rendered = SafetyConfig().to_environment()["SAFETY_CONFIG"]
    assert " " not in rendered and json.loads(rendered)["fail_open"] is False


@pytest.mark.parametrize(
    ("raw", "path", "fragment"),
    [
        ({"pii_mode": "hash"}, "environments.dev.safety.pii_mode", "allowed values: redact, pseudonymize"),
        ({"pii_default_action": "drop"}, "environments.dev.safety.pii_default_action", "allowed values: mask, block, allow"),
        ({"pii_actions": {"EMAIL": "hide"}}, "environments.dev.safety.pii_actions.EMAIL", "allowed values: mask, block, allow"),
        ({"pii_actions": {"EMIAL": "mask"}}, "environments.dev.safety.pii_actions.EMIAL",
         "unknown PII entity type; did you mean 'EMAIL'? allowed: BANK_ACCOUNT_NUMBER"),
        ({"pii_actions": "mask"}, "environments.dev.safety.pii_actions", "expected an object"),
        ({"pii_min_score": 1.5}, "environments.dev.safety.pii_min_score", "allowed: [0.0, 1.0]"),
        ({"toxicity_threshold": -0.1}, "environments.dev.safety.toxicity_threshold", "allowed: [0.0, 1.0]"),
        ({"toxicity_threshold": "high"}, "environments.dev.safety.toxicity_threshold", "expected a number"),
        ({"toxicity_label_thresholds": {"INSULT": 2}}, "environments.dev.safety.toxicity_label_thresholds.INSULT",
         "allowed: [0.0, 1.0]"),
        ({"toxicity_label_thresholds": {"RUDE": 0.5}}, "environments.dev.safety.toxicity_label_thresholds.RUDE",
         "unknown toxicity label; allowed: GRAPHIC"),
        ({"language": "fr"}, "environments.dev.safety.language", "allowed values: auto, en, es"),
        ({"language": "en", "supported_languages": ["es"]}, "environments.dev.safety.language", "allowed values: auto, es"),
        ({"supported_languages": ["en", "de"]}, "environments.dev.safety.supported_languages[1]", "allowed values: en, es"),
        ({"supported_languages": []}, "environments.dev.safety.supported_languages", "expected 1 to any items"),
        ({"strict_language": "yes"}, "environments.dev.safety.strict_language", "expected true or false"),
        ({"fail_open": 1}, "environments.dev.safety.fail_open", "expected true or false"),
        ({"max_input_chars": 0}, "environments.dev.safety.max_input_chars", "allowed: [1, 1000000]"),
        ({"timeout_seconds": 0.01}, "environments.dev.safety.timeout_seconds", "allowed: [0.05, 60.0]"),
        ({"timeout": 3}, "environments.dev.safety.timeout", "unknown key"),
    ],
)
def test_bad_values_name_the_key_path_and_the_allowed_values(raw, path, fragment):
    with pytest.raises(ConfigError) as error:
        _parse(raw)
    assert error.value.path == path
    assert fragment in str(error.value)


def test_the_section_is_read_from_the_environment():
    context = {"environments": {"dev": {"region": "eu-west-1", "safety": {"pii_actions": {"URL": "allow"}}}}}
    assert load_app_config(context).environment("dev").safety.pii_actions["URL"] == "allow"
