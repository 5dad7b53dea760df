"""The ``bedrock`` section and the model catalog: defaults, the committed cdk.json, and every bad input
failing with the key path and the allowed values."""

from __future__ import annotations

import json

import botocore.session
import pytest

from cdk.config import ConfigError, load_app_config
from cdk.config.bedrock import CATALOG_PATH, load_catalog
from cdk.config.guardrail import (
    CONTENT_FILTER_TYPES,
    FILTER_STRENGTHS,
    MANAGED_WORD_LISTS,
    PII_ENTITY_TYPES,
    SENSITIVE_ACTIONS,
)
from tests.infra.synth import cdk_context

HAIKU = "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
LITE = "eu.amazon.nova-lite-v1:0"
MICRO = "eu.amazon.nova-micro-v1:0"


def _env(bedrock=None, **overrides):
    raw = {"region": "eu-west-1", **overrides}
    if bedrock is not None:
        raw["bedrock"] = bedrock
    return raw


def _load(bedrock=None, **overrides):
    return load_app_config({"project": "genai", "environments": {"dev": _env(bedrock, **overrides)}}).environment("dev")


def _error(bedrock=None, **overrides) -> ConfigError:
    with pytest.raises(ConfigError) as error:
        _load(bedrock, **overrides)
    return error.value


@pytest.fixture(scope="module")
def botocore_bedrock():
    return botocore.session.get_session().get_service_model("bedrock")


# --------------------------------------------------------------------------- enums match the service model


def test_guardrail_enums_are_the_ones_the_bedrock_api_accepts(botocore_bedrock):
    shape = botocore_bedrock.shape_for
    assert set(PII_ENTITY_TYPES) == set(shape("GuardrailPiiEntityType").enum)
    assert set(CONTENT_FILTER_TYPES) == set(shape("GuardrailContentFilterType").enum)
    assert set(FILTER_STRENGTHS) == set(shape("GuardrailFilterStrength").enum)
    assert set(SENSITIVE_ACTIONS) == set(shape("GuardrailSensitiveInformationAction").enum)
    assert set(MANAGED_WORD_LISTS) == set(shape("GuardrailManagedWordsType").enum)
    assert shape("GuardrailBlockedMessaging").metadata["max"] == 500


def test_catalog_model_ids_match_the_foundation_model_arn_pattern(botocore_bedrock):
    import re

    pattern = botocore_bedrock.shape_for("FoundationModelArn").metadata["pattern"]
    catalog = load_catalog()
    assert catalog.models
    for model_id in catalog.models:
        assert re.fullmatch(pattern, f"arn:aws:bedrock:eu-west-1::foundation-model/{model_id}"), model_id


def test_catalog_is_dated_and_priced():
    raw = json.loads(CATALOG_PATH.read_text())
    assert raw["as_of"] and raw["geographies"]["as_of"] and raw["geographies"]["source"]
    for model in raw["models"]:
        pricing = model["pricing"]
        assert pricing["as_of"] and pricing["source"].startswith("https://"), model["id"]
        assert pricing["in_region"]["input"] > 0 and pricing["in_region"]["output"] > 0
    catalog = load_catalog()
    assert "eu-west-1" in catalog.geographies["eu"] and catalog.geography_of("us-east-1") == "us"


# --------------------------------------------------------------------------- defaults and the committed config


def test_defaults_follow_the_region_geography():
    env = _load(region="us-east-1")
    assert [m.id for m in env.bedrock.models] == ["us.anthropic.claude-haiku-4-5-20251001-v1:0",
                                                  "us.amazon.nova-lite-v1:0"]
    assert set(env.bedrock.default_models) == {"text", "chat", "code", "vision"}
    guardrail = env.bedrock.guardrail
    assert [f.type for f in guardrail.content_filters] == list(CONTENT_FILTER_TYPES)
    assert all(f.input_strength == "HIGH" for f in guardrail.content_filters)
    assert next(f for f in guardrail.content_filters if f.type == "PROMPT_ATTACK").output_strength == "NONE"
    assert {guardrail.pii_entities[k] for k in ("AWS_ACCESS_KEY", "AWS_SECRET_KEY", "PASSWORD")} == {"BLOCK"}
    assert guardrail.pii_entities["EMAIL"] == "ANONYMIZE"
    assert "Lo sentimos" in guardrail.blocked_input_message and "Sorry" in guardrail.blocked_input_message
    assert guardrail.managed_word_lists == ("PROFANITY",)
    assert not env.bedrock.invocation_logging.deliver_text_data  # metadata only unless asked


def test_committed_cdk_json_dev_allow_list_and_prods_invocation_logging_settings():
    config = load_app_config(cdk_context())
    dev = config.environment("dev")
    ids = [m.id for m in dev.bedrock.models]
    assert any("anthropic.claude-haiku" in i for i in ids) and any("amazon.nova" in i for i in ids)
    assert any(m.routing == "geo" and m.geography == "eu" for m in dev.bedrock.models)
    # The account stack's invocation logging takes the strictest environment's settings, not dev's.
    assert config.account_place("dev").strictest.name == "prod"


def test_geo_profile_covers_every_destination_region_and_global_needs_none():
    env = _load({"models": [LITE, "global.anthropic.claude-haiku-4-5-20251001-v1:0"]})
    geo, global_ = env.bedrock.models
    assert geo.routing == "geo" and "eu-west-1" in geo.destination_regions and "eu-central-1" in geo.destination_regions
    assert (global_.routing, global_.destination_regions) == ("global", ())
    assert geo.price.input == load_catalog().models["amazon.nova-lite-v1:0"].pricing["in_region"].input


def test_overrides_merge_into_the_defaults():
    env = _load({"guardrail": {"content_filters": {"INSULTS": "LOW", "PROMPT_ATTACK": "MEDIUM",
                                                   "HATE": {"output": "MEDIUM"}},
                               "pii_entities": {"NAME": "NONE", "USERNAME": "BLOCK"},
                               "regexes": [{"name": "ticket", "pattern": r"TCK-\d{6}", "action": "BLOCK"}],
                               "words": ["forbidden"]}})
    filters = {f.type: (f.input_strength, f.output_strength) for f in env.bedrock.guardrail.content_filters}
    assert filters["INSULTS"] == ("LOW", "LOW")
    assert filters["PROMPT_ATTACK"] == ("MEDIUM", "NONE")
    assert filters["HATE"] == ("HIGH", "MEDIUM")
    pii = env.bedrock.guardrail.pii_entities
    assert (pii["NAME"], pii["USERNAME"], pii["PASSWORD"]) == ("NONE", "BLOCK", "BLOCK")
    assert [r.name for r in env.bedrock.guardrail.regexes] == ["ticket"]
    assert env.bedrock.guardrail.words == ("forbidden",)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("bedrock", "path", "fragment"),
    [
        ({"models": ["claude-haiku"]}, "environments.dev.bedrock.models[0]", "is not a Bedrock model ID"),
        ({"models": ["eu.anthropic/claude:0"]}, "environments.dev.bedrock.models[0]", "provider.model-name"),
        ({"models": ["Anthropic.Claude-3"]}, "environments.dev.bedrock.models[0]", "is not a Bedrock model ID"),
        ({"models": ["xx.amazon.nova-lite-v1:0"]}, "environments.dev.bedrock.models[0]", "not in the model catalog"),
        ({"models": ["meta.llama9-1t-v1:0"]}, "environments.dev.bedrock.models[0]", "known models:"),
        ({"models": ["us.amazon.nova-lite-v1:0"]}, "environments.dev.bedrock.models[0]",
         "cannot be called from eu-west-1; allowed prefixes there: eu, global"),
        ({"models": ["anthropic.claude-haiku-4-5-20251001-v1:0"]}, "environments.dev.bedrock.models[0]",
         f"inference profile only; use a cross-Region profile such as {HAIKU!r}"),
        ({"models": [LITE, LITE]}, "environments.dev.bedrock.models", "contains duplicates"),
        ({"models": []}, "environments.dev.bedrock.models", "expected 1 to any items"),
        ({"models": [LITE], "default_models": {"chat": HAIKU}}, "environments.dev.bedrock.default_models.chat",
         f"is not in the allow-list environments.dev.bedrock.models; allowed values: {LITE}"),
        ({"models": [LITE, MICRO], "default_models": {"vision": MICRO}},
         "environments.dev.bedrock.default_models.vision", f"does not accept images; allowed values: {LITE}"),
        ({"models": [MICRO]}, "environments.dev.bedrock.default_models.vision", "no model in the allow-list accepts"),
        ({"default_models": {"audio": LITE}}, "environments.dev.bedrock.default_models.audio", "unknown key"),
        ({"guardrail": {"content_filters": {"HATE": "EXTREME"}}},
         "environments.dev.bedrock.guardrail.content_filters.HATE", "allowed values: NONE, LOW, MEDIUM, HIGH"),
        ({"guardrail": {"content_filters": {"HATE": {"input": "low"}}}},
         "environments.dev.bedrock.guardrail.content_filters.HATE.input", "allowed values: NONE, LOW, MEDIUM, HIGH"),
        ({"guardrail": {"content_filters": {"PROMPT_ATTACK": {"input": "HIGH", "output": "HIGH"}}}},
         "environments.dev.bedrock.guardrail.content_filters.PROMPT_ATTACK.output",
         "PROMPT_ATTACK filters prompts only; allowed values: NONE"),
        ({"guardrail": {"content_filters": {"PROFANITY": "HIGH"}}},
         "environments.dev.bedrock.guardrail.content_filters.PROFANITY", "allowed keys: HATE, INSULTS"),
        ({"guardrail": {"pii_entities": {"SOCIAL_SECURITY_NUMBER": "BLOCK"}}},
         "environments.dev.bedrock.guardrail.pii_entities.SOCIAL_SECURITY_NUMBER",
         "unknown key; did you mean 'US_SOCIAL_SECURITY_NUMBER'?"),
        ({"guardrail": {"pii_entities": {"EMAIL": "MASK"}}}, "environments.dev.bedrock.guardrail.pii_entities.EMAIL",
         "allowed values: BLOCK, ANONYMIZE, NONE"),
        ({"guardrail": {"regexes": [{"name": "bad", "pattern": "([a-z"}]}},
         "environments.dev.bedrock.guardrail.regexes[0].pattern", "is not a valid regular expression"),
        ({"guardrail": {"regexes": [{"name": "x", "pattern": "a", "action": "DROP"}]}},
         "environments.dev.bedrock.guardrail.regexes[0].action", "allowed values: BLOCK, ANONYMIZE, NONE"),
        ({"guardrail": {"regexes": [{"name": "x", "pattern": "a"}, {"name": "x", "pattern": "b"}]}},
         "environments.dev.bedrock.guardrail.regexes", "unique"),
        ({"guardrail": {"denied_topics": [{"name": "Bad/topic", "definition": "x"}]}},
         "environments.dev.bedrock.guardrail.denied_topics[0].name", "letters, digits"),
        ({"guardrail": {"denied_topics": [{"name": "Topic", "definition": "d" * 201}]}},
         "environments.dev.bedrock.guardrail.denied_topics[0].definition", "1 to 200 characters"),
        ({"guardrail": {"denied_topics": [{"name": "T", "definition": "d", "examples": ["a"] * 6}]}},
         "environments.dev.bedrock.guardrail.denied_topics[0].examples", "expected 0 to 5 items"),
        ({"guardrail": {"managed_word_lists": ["SLANG"]}},
         "environments.dev.bedrock.guardrail.managed_word_lists[0]", "allowed values: PROFANITY"),
        ({"guardrail": {"blocked_input_message": "x" * 501}},
         "environments.dev.bedrock.guardrail.blocked_input_message", "1 to 500 characters"),
        ({"guardrail": {"blocked_output_message": ""}},
         "environments.dev.bedrock.guardrail.blocked_output_message", "1 to 500 characters"),
        ({"invocation_logging": {"log_retention_days": 10}},
         "environments.dev.bedrock.invocation_logging.log_retention_days", "allowed values: 1, 3, 5"),
        ({"invocation_logging": {"infrequent_access_after_days": 10}},
         "environments.dev.bedrock.invocation_logging.infrequent_access_after_days", "0 (never) or [30"),
        ({"invocation_logging": {"deliver_text": True}},
         "environments.dev.bedrock.invocation_logging.deliver_text", "did you mean 'deliver_text_data'?"),
        ({"modles": [LITE]}, "environments.dev.bedrock.modles", "unknown key; did you mean 'models'?"),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_values(bedrock, path, fragment):
    error = _error(bedrock)
    assert error.path == path, str(error)
    assert fragment in str(error)


def test_global_profiles_are_refused_outside_commercial_regions():
    error = _error({"models": ["global.anthropic.claude-haiku-4-5-20251001-v1:0"]}, region="us-gov-west-1")
    assert error.path == "environments.dev.bedrock.models[0]" and "commercial Regions only" in str(error)


def test_a_region_without_a_geography_must_name_its_models():
    error = _error(region="sa-east-1")
    assert error.path == "environments.dev.bedrock.models" and "is required in sa-east-1" in str(error)
