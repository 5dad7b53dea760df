"""The ``observability`` section: defaults, overrides, and bad values that name the key and the allowed values."""

from __future__ import annotations

import pytest

from cdk.config import ConfigError, load_app_config
from cdk.config.observability import LOG_RETENTION_DAYS, CloudTrailConfig, ObservabilityConfig, ServiceAlarmThresholds
from tests.infra.synth import cdk_context

PATH = "environments.dev.observability"


def _observability(section):
    env = {"region": "eu-west-1", "observability": section}
    return load_app_config({"environments": {"dev": env}}).environment("dev").observability


def _error(section) -> ConfigError:
    with pytest.raises(ConfigError) as error:
        _observability(section)
    return error.value


def test_an_environment_without_the_section_gets_every_default():
    config = load_app_config({"environments": {"dev": {"region": "eu-west-1"}}}).environment("dev").observability
    assert config == ObservabilityConfig()
    assert config.cloudtrail.creates_trail
    assert config.alarm_emails == ()


def test_overrides_are_read_and_the_rest_keeps_its_default():
    config = _observability({
        "alarm_emails": ["oncall@example.com", "ml.team+alerts@sub.example.co.uk"],
        "daily_token_budget": 1234,
        "alarms": {"api_5xx_rate_percent": 0.5, "endpoint_latency_p99_ms": 5000},
        "cloudtrail": {"expiration_days": 2557, "log_retention_days": 731},
    })
    assert config.alarm_emails == ("oncall@example.com", "ml.team+alerts@sub.example.co.uk")
    assert config.daily_token_budget == 1234
    assert config.alarms.api_5xx_rate_percent == 0.5
    assert config.alarms.endpoint_latency_p99_ms == 5000
    assert config.alarms.lambda_error_count == ServiceAlarmThresholds().lambda_error_count
    assert config.cloudtrail.expiration_days == 2557
    assert config.cloudtrail.log_retention_days == 731


def test_the_committed_cdk_json_keeps_prod_trail_logs_longest():
    config = load_app_config(cdk_context())
    expirations = {env.name: env.observability.cloudtrail.expiration_days for env in config.environments}
    assert expirations["prod"] >= max(expirations.values())
    for env in config.environments:
        assert env.observability.cloudtrail.log_retention_days in LOG_RETENTION_DAYS


def test_an_organization_trail_means_no_trail_of_our_own_but_filters_can_target_its_log_group():
    config = _observability({"cloudtrail": {"organization_trail_covers_account": True,
                                            "existing_log_group_name": "aws-controltower/CloudTrailLogs"}})
    assert not config.cloudtrail.creates_trail
    assert config.cloudtrail.existing_log_group_name == "aws-controltower/CloudTrailLogs"


def test_a_trail_can_be_switched_off_for_a_second_environment_in_the_same_account():
    config = _observability({"cloudtrail": {"enabled": False}})
    assert not config.cloudtrail.creates_trail
    assert config.cloudtrail.existing_log_group_name is None


def test_alarm_recipients_an_existing_topic_and_a_reason_for_none():
    config = _observability({"alarm_topic_arn": "arn:aws:sns:eu-west-1:111122223333:ops-alarms",
                             "no_alarm_subscriber_reason": "recipients are managed by the central ops account"})
    assert config.alarm_topic_arn == "arn:aws:sns:eu-west-1:111122223333:ops-alarms"
    assert config.no_alarm_subscriber_reason.startswith("recipients")
    assert (ObservabilityConfig().alarm_topic_arn, ObservabilityConfig().no_alarm_subscriber_reason) == (None, None)


def test_config_is_frozen():
    config = _observability({})
    with pytest.raises(AttributeError):
        config.daily_token_budget = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        config.cloudtrail.enabled = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("section", "path", "fragment"),
    [
        # Alarm thresholds out of range.
        ({"alarms": {"api_5xx_rate_percent": 150}}, "alarms.api_5xx_rate_percent", "out of range; allowed: (0, 100]"),
        ({"alarms": {"api_5xx_rate_percent": 0}}, "alarms.api_5xx_rate_percent", "out of range; allowed: (0, 100]"),
        ({"alarms": {"api_5xx_rate_percent": -1}}, "alarms.api_5xx_rate_percent", "out of range"),
        ({"alarms": {"guardrail_intervention_rate_percent": 100.5}}, "alarms.guardrail_intervention_rate_percent",
         "allowed: (0, 100]"),
        ({"alarms": {"lambda_error_count": -1}}, "alarms.lambda_error_count", "out of range; allowed: [0,"),
        ({"alarms": {"lambda_throttle_count": -3}}, "alarms.lambda_throttle_count", "out of range"),
        ({"alarms": {"bedrock_throttle_count": -1}}, "alarms.bedrock_throttle_count", "out of range"),
        ({"alarms": {"endpoint_5xx_count": -1}}, "alarms.endpoint_5xx_count", "out of range"),
        ({"alarms": {"endpoint_latency_p99_ms": 0}}, "alarms.endpoint_latency_p99_ms", "out of range; allowed: [1,"),
        ({"alarms": {"filter_error_count": -2}}, "alarms.filter_error_count", "out of range"),
        ({"alarms": {"lambda_error_count": 1.5}}, "alarms.lambda_error_count", "expected an integer"),
        ({"alarms": {"api_5xx_rate_percent": "1%"}}, "alarms.api_5xx_rate_percent", "expected a number"),
        ({"alarms": {"period_minutes": 7}}, "alarms.period_minutes", "allowed values: 1, 5, 10, 15, 30, 60"),
        ({"alarms": {"evaluation_periods": 2, "datapoints_to_alarm": 3}}, "alarms.datapoints_to_alarm",
         "out of range; allowed: [1, 2]"),
        ({"alarms": {"rate_min_samples": 0}}, "alarms.rate_min_samples", "out of range"),
        ({"alarms": {"api_5xx_rate": 1}}, "alarms.api_5xx_rate", "did you mean 'api_5xx_rate_percent'?"),
        ({"daily_token_budget": 0}, "daily_token_budget", "out of range; allowed: [1,"),
        ({"alarm_topic_arn": "arn:aws:sqs:eu-west-1:111122223333:queue"}, "alarm_topic_arn", "an SNS topic ARN"),
        ({"alarm_topic_arn": "ops-alarms"}, "alarm_topic_arn", "an SNS topic ARN"),
        ({"no_alarm_subscriber_reason": "later"}, "no_alarm_subscriber_reason", "at least 30 characters"),
        ({"daily_token_budget": -5}, "daily_token_budget", "out of range"),
        # E-mail addresses that are not e-mail addresses.
        ({"alarm_emails": ["oncall"]}, "alarm_emails[0]", "'oncall' is not an e-mail address"),
        ({"alarm_emails": ["ok@example.com", "a@b"]}, "alarm_emails[1]", "is not an e-mail address"),
        ({"alarm_emails": ["two@@example.com"]}, "alarm_emails[0]", "is not an e-mail address"),
        ({"alarm_emails": ["with space@example.com"]}, "alarm_emails[0]", "is not an e-mail address"),
        ({"alarm_emails": "oncall@example.com"}, "alarm_emails", "expected a list of strings"),
        ({"alarm_emails": ["x@example.com", "x@example.com"]}, "alarm_emails", "contains duplicates"),
        # Retention values CloudWatch Logs does not accept.
        ({"cloudtrail": {"log_retention_days": 100}}, "cloudtrail.log_retention_days", "allowed values: 1, 3, 5, 7"),
        ({"cloudtrail": {"log_retention_days": 0}}, "cloudtrail.log_retention_days", "allowed values:"),
        # Lifecycle transitions not less than expiration.
        ({"cloudtrail": {"transition_to_glacier_days": 365, "expiration_days": 365}}, "cloudtrail.expiration_days",
         "must be greater than the last transition"),
        ({"cloudtrail": {"transition_to_glacier_days": 400, "expiration_days": 100}}, "cloudtrail.expiration_days",
         "transition days must be less than expiration days"),
        ({"cloudtrail": {"transition_to_infrequent_access_days": 90, "transition_to_glacier_days": 90}},
         "cloudtrail.transition_to_glacier_days", "must be greater than transition_to_infrequent_access_days (90)"),
        ({"cloudtrail": {"transition_to_infrequent_access_days": 7}}, "cloudtrail.transition_to_infrequent_access_days",
         "out of range; allowed: [30,"),
        # Trail switches that contradict each other.
        ({"cloudtrail": {"organization_trail_covers_account": True, "enabled": True}}, "cloudtrail.enabled",
         "must not be true when organization_trail_covers_account is true"),
        ({"cloudtrail": {"existing_log_group_name": "trail-logs"}}, "cloudtrail.existing_log_group_name",
         "only used when this environment creates no trail"),
        ({"cloudtrail": {"enabled": False, "existing_log_group_name": "bad name!"}}, "cloudtrail.existing_log_group_name",
         "a CloudWatch Logs log group name"),
        ({"cloudtrail": {"enable": False}}, "cloudtrail.enable", "did you mean 'enabled'?"),
        ({"alarm_email": ["x@example.com"]}, "alarm_email", "did you mean 'alarm_emails'?"),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_values(section, path, fragment):
    error = _error(section)
    assert error.path == f"{PATH}.{path}"
    assert fragment in str(error)


def test_defaults_are_valid_against_their_own_rules():
    trail = CloudTrailConfig()
    assert trail.transition_to_infrequent_access_days < trail.transition_to_glacier_days < trail.expiration_days
    assert trail.log_retention_days in LOG_RETENTION_DAYS
    alarms = ServiceAlarmThresholds()
    assert alarms.datapoints_to_alarm <= alarms.evaluation_periods
