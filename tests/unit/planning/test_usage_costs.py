"""Usage cost per 1,000 requests: Comprehend's 3-unit minimum, guardrail policies, model tiers."""

from __future__ import annotations

import pytest

from cdk.planning.service_prices import load_service_prices
from cdk.planning.usage_costs import Platform, _comprehend_units, _model_price, load_models, usage_rows

USE_CASE = {"id": "tiny", "family": "text", "system": "", "instruction": "", "template": "",
            "default_parameters": {"max_new_tokens": 10}}


def test_comprehend_bills_units_of_100_characters_with_a_minimum_of_3():
    assert _comprehend_units(1) == 3
    assert _comprehend_units(301) == 4


def test_geography_profiles_use_the_geo_price_and_unknown_tiers_are_none():
    models = load_models()
    price, _ = _model_price("eu.anthropic.claude-haiku-4-5-20251001-v1:0", models)
    assert price == models["anthropic.claude-haiku-4-5-20251001-v1:0"]["pricing"]["geo"]
    assert _model_price("eu.amazon.nova-micro-v1:0", models)[0] is None


def test_each_paid_guardrail_policy_adds_its_text_units():
    prices = load_service_prices()
    plain = Platform(memory_mb=1024, architecture="arm64", waf=False, guardrail_policies=())
    guarded = Platform(memory_mb=1024, architecture="arm64", waf=False, guardrail_policies=("ContentPolicyConfig",))
    args = (["anthropic.claude-haiku-4-5-20251001-v1:0"],)
    [without] = usage_rows(*args, plain, prices, "eu-west-1", catalog=[USE_CASE], input_chars=100)
    [with_guardrail] = usage_rows(*args, guarded, prices, "eu-west-1", catalog=[USE_CASE], input_chars=100)
    # 100 characters of prompt + 40 of answer: 1 text unit each way, $0.15 per 1,000 text units
    assert with_guardrail.safety_usd - without.safety_usd == pytest.approx(2 * 0.15)
    # Comprehend: language, PII and toxicity on the input, PII and toxicity on the output: 5 calls x 3 units minimum
    assert without.safety_usd == pytest.approx(5 * 3 * 0.0001 * 1000)


def test_a_regex_only_sensitive_information_policy_is_not_billed():
    """Guardrails bill sensitive-information filters for managed PII entities only; regular expressions are free.
    platform_of priced any SensitiveInformationPolicyConfig, so a regex-only guardrail paid $0.10 per 1,000 text
    units per direction that AWS does not charge."""
    from cdk.planning.usage_costs import platform_of

    def guardrail(sensitive):
        return [{"Resources": {"Guardrail": {"Type": "AWS::Bedrock::Guardrail", "Properties": {
            "ContentPolicyConfig": {"FiltersConfig": []}, "SensitiveInformationPolicyConfig": sensitive}}}}]

    regex_only = {"RegexesConfig": [{"Name": "ticket", "Pattern": "T-[0-9]+", "Action": "ANONYMIZE"}]}
    managed = {**regex_only, "PiiEntitiesConfig": [{"Type": "EMAIL", "Action": "ANONYMIZE"}]}
    assert platform_of(guardrail(regex_only)).guardrail_policies == ("ContentPolicyConfig",)
    assert platform_of(guardrail(managed)).guardrail_policies == ("ContentPolicyConfig",
                                                                 "SensitiveInformationPolicyConfig")
