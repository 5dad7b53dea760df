"""Section ``api``: defaults, the timeout chain, body limits, and bad values naming key path and allowed values."""

from __future__ import annotations

import importlib
import sys
from types import SimpleNamespace

import pytest

from cdk.config import ConfigError, load_app_config
from cdk.config.api import ApiConfig, parse_api, runtime_max_body_bytes
from cdk.config.fields import Section
from cdk.config.safety import SafetyConfig
from tests.infra.synth import ROOT, cdk_context


def _parse(raw, safety=None):
    return parse_api(Section(raw, "environments.dev.api"), safety=safety or SafetyConfig())


def test_defaults_keep_deadline_below_integration_timeout_below_or_at_lambda_timeout():
    api = ApiConfig()
    assert (api.stage_name, api.authorization, api.integration_timeout_seconds) == ("api", "iam", 29)
    assert api.request_deadline_seconds < api.integration_timeout_seconds <= api.function_timeout_seconds
    assert api.waf.counted_rules == ("SizeRestrictions_BODY",)
    assert api.waf_enabled is False and api.conversation_point_in_time_recovery is True


def test_every_shipped_environment_keeps_the_timeout_chain_and_waf_in_staging_and_prod():
    config = load_app_config(cdk_context())
    for env in config.environments:
        api = env.api
        assert api.request_deadline_seconds < api.integration_timeout_seconds <= api.function_timeout_seconds
        assert api.integration_timeout_seconds <= 29 or api.integration_timeout_quota_raised
        assert env.safety.timeout_seconds < api.request_deadline_seconds
    assert {env.name for env in config.environments if env.api.waf_enabled} == {"staging", "prod"}


def test_a_raised_quota_allows_longer_integrations_and_the_lambda_follows():
    api = _parse({"integration_timeout_seconds": 120, "integration_timeout_quota_raised": True})
    assert (api.integration_timeout_seconds, api.function_timeout_seconds, api.request_deadline_seconds) == (120, 120, 117)
    longer = _parse({"lambda_timeout_seconds": 60})
    assert longer.function_timeout_seconds == 60 and longer.integration_timeout_seconds == 29


def test_the_body_limit_defaults_to_what_the_orchestrator_accepts():
    """The gateway must never block a body the handler would parse: same formula as the runtime's."""
    path = str(ROOT / "lambdas" / "orchestrator")
    sys.path.insert(0, path)
    try:
        validation = importlib.import_module("orchestrator.validation")
    finally:
        sys.path.remove(path)
    for chars in (1_000, 20_000, 100_000):
        assert runtime_max_body_bytes(chars) == validation.max_body_bytes(SimpleNamespace(max_input_chars=chars))
    assert _parse({"max_input_chars": 5_000}).max_request_body_bytes == runtime_max_body_bytes(5_000)


def test_waf_counts_extra_common_rules_on_request():
    api = _parse({"waf_count_rules": ["CrossSiteScripting_BODY"], "waf_body_inspection_limit_kb": 64})
    assert api.waf.counted_rules == ("SizeRestrictions_BODY", "CrossSiteScripting_BODY")
    assert api.waf.body_inspection_limit == "KB_64"


@pytest.mark.parametrize(
    ("raw", "path", "fragment"),
    [
        ({"integration_timeout_seconds": 30}, "environments.dev.api.integration_timeout_seconds",
         "allowed: [1, 29] (API Gateway's default quota"),
        ({"integration_timeout_seconds": 901, "integration_timeout_quota_raised": True},
         "environments.dev.api.integration_timeout_seconds", "allowed: [1, 900]"),
        ({"integration_timeout_seconds": 0}, "environments.dev.api.integration_timeout_seconds", "allowed: [1, None]"),
        ({"integration_timeout_quota_raised": "yes"}, "environments.dev.api.integration_timeout_quota_raised",
         "expected true or false"),
        ({"deadline_margin_seconds": 29}, "environments.dev.api.deadline_margin_seconds", "allowed: [1, 28]"),
        ({"lambda_timeout_seconds": 20}, "environments.dev.api.lambda_timeout_seconds", "allowed: [29, 900]"),
        ({"lambda_timeout_seconds": 1000}, "environments.dev.api.lambda_timeout_seconds", "allowed: [1, 900]"),
        ({"lambda_memory_mb": 64}, "environments.dev.api.lambda_memory_mb", "allowed: [128, 10240]"),
        ({"lambda_reserved_concurrency": 0}, "environments.dev.api.lambda_reserved_concurrency", "allowed: [1, 10000]"),
        ({"authorization": "none"}, "environments.dev.api.authorization", "allowed values: iam, cognito"),
        ({"stage_name": "v 1"}, "environments.dev.api.stage_name", "1-128 letters, digits, '-' or '_'"),
        ({"throttle_rate_limit": 0}, "environments.dev.api.throttle_rate_limit", "allowed: (0.0, 10000.0]"),
        ({"throttle_burst_limit": 0}, "environments.dev.api.throttle_burst_limit", "allowed: [1, 5000]"),
        ({"execution_log_level": "debug"}, "environments.dev.api.execution_log_level", "allowed values: off, error, info"),
        ({"log_level": "TRACE"}, "environments.dev.api.log_level", "allowed values: DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ({"metrics_namespace": "Gen Ai"}, "environments.dev.api.metrics_namespace", "a CloudWatch namespace"),
        ({"max_input_chars": 200_000}, "environments.dev.api.max_input_chars", "allowed: [1, 100000]"),
        ({"max_request_body_bytes": 1024}, "environments.dev.api.max_request_body_bytes", "allowed: [185536, 6000000]"),
        ({"conversation_ttl_seconds": 10}, "environments.dev.api.conversation_ttl_seconds", "allowed: [60, 31536000]"),
        ({"chat_history_max_tokens": 10}, "environments.dev.api.chat_history_max_tokens", "allowed: [100, 1000000]"),
        ({"conversation_point_in_time_recovery": 1}, "environments.dev.api.conversation_point_in_time_recovery",
         "expected true or false"),
        ({"waf_enabled": "true"}, "environments.dev.api.waf_enabled", "expected true or false"),
        ({"waf_rate_limit": 5}, "environments.dev.api.waf_rate_limit", "allowed: [10, 2000000000]"),
        ({"waf_rate_limit_window_seconds": 30}, "environments.dev.api.waf_rate_limit_window_seconds",
         "allowed values: 60, 120, 300, 600"),
        ({"waf_count_rules": ["NoSuchRule"]}, "environments.dev.api.waf_count_rules[0]",
         "is not a rule of AWSManagedRulesCommonRuleSet; allowed values: NoUserAgent_HEADER"),
        ({"waf_body_inspection_limit_kb": 8}, "environments.dev.api.waf_body_inspection_limit_kb",
         "allowed values: 16, 32, 48, 64"),
        ({"stage_nmae": "api"}, "environments.dev.api.stage_nmae", "unknown key; did you mean 'stage_name'?"),
    ],
)
def test_bad_values_name_the_key_path_and_the_allowed_values(raw, path, fragment):
    with pytest.raises(ConfigError) as error:
        _parse(raw)
    assert error.value.path == path
    assert fragment in str(error.value)


@pytest.mark.parametrize(
    ("api", "safety", "path", "fragment"),
    [
        ({"max_input_chars": 30_000}, {"max_input_chars": 20_000}, "environments.dev.api.max_input_chars",
         "at most safety.max_input_chars"),
        ({"deadline_margin_seconds": 26}, {"timeout_seconds": 4}, "environments.dev.api.deadline_margin_seconds",
         "not more than safety.timeout_seconds (4 s)"),
    ],
)
def test_limits_shared_with_the_safety_section_are_checked_together(api, safety, path, fragment):
    context = {"environments": {"dev": {"region": "eu-west-1", "api": api, "safety": safety}}}
    with pytest.raises(ConfigError) as error:
        load_app_config(context)
    assert error.value.path == path
    assert fragment in str(error.value)
