"""The ``observability`` section: alarm recipients and thresholds, the daily token budget, CloudTrail.

Every key has a default, so an environment states only what it overrides::

    "observability": {
      "alarm_emails": ["oncall@example.com"],
      "alarm_topic_arn": "arn:aws:sns:eu-west-1:111122223333:ops-alarms",
      "daily_token_budget": 50000000,
      "alarms": {"api_5xx_rate_percent": 0.5},
      "cloudtrail": {"expiration_days": 2557}
    }
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cdk.components.service_alarms.props import ServiceAlarmThresholds
from cdk.config.fields import ConfigError, Section

# The values CloudWatch Logs accepts for a log group's retention (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
# Alarm periods CloudWatch evaluates for standard-resolution metrics (60 s multiples; these are the useful ones).
ALARM_PERIOD_MINUTES = (1, 5, 10, 15, 30, 60)
# S3 refuses a transition to STANDARD_IA earlier than 30 days after creation.
MIN_INFREQUENT_ACCESS_DAYS = 30
# A pragmatic address check: one @, no spaces, a dotted domain. SNS confirms the address by e-mail anyway.
EMAIL_PATTERN = (r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
                 r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")
# An existing SNS topic the alarms notify instead of the stack's own (same partition; any region/account the
# alarms may reach: CloudWatch alarm actions publish to topics in the alarm's own region).
SNS_TOPIC_ARN_PATTERN = r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}"
# CloudWatch Logs log group names: 1-512 of [.\-_/#A-Za-z0-9].
LOG_GROUP_NAME_PATTERN = r"[.\-_/#A-Za-z0-9]{1,512}"


@dataclass(frozen=True)
class CloudTrailConfig:
    enabled: bool = True
    organization_trail_covers_account: bool = False
    existing_log_group_name: str | None = None
    log_retention_days: int = 365
    transition_to_infrequent_access_days: int = 30
    transition_to_glacier_days: int = 90
    expiration_days: int = 365
    noncurrent_version_expiration_days: int = 30

    @property
    def creates_trail(self) -> bool:
        """Whether this environment deploys its own trail (and its bucket, key and log group)."""
        return self.enabled and not self.organization_trail_covers_account


@dataclass(frozen=True)
class ObservabilityConfig:
    # Who hears an alarm: e-mail subscriptions to the alarm topic, and/or an existing topic (its owner's
    # subscribers and topic policy) used instead of the stack's own. Environments that retain data warn at
    # synth when neither is set.
    alarm_emails: tuple[str, ...] = ()
    alarm_topic_arn: str | None = None
    # Why an environment that keeps its data or has a budget may deploy with no one subscribed (the synth warning stays; the
    # policy gates accept it for this reason). Leave unset so that the gates stop such a deploy.
    no_alarm_subscriber_reason: str | None = None
    daily_token_budget: int = 10_000_000
    alarms: ServiceAlarmThresholds = field(default_factory=ServiceAlarmThresholds)
    cloudtrail: CloudTrailConfig = field(default_factory=CloudTrailConfig)


def _email(path: str, value: str) -> str:
    if len(value) > 254 or not re.fullmatch(EMAIL_PATTERN, value):
        raise ConfigError(path, f"{value!r} is not an e-mail address; expected name@example.com")
    return value


def _alarms(section: Section) -> ServiceAlarmThresholds:
    d = ServiceAlarmThresholds()
    period = section.integer("period_minutes", d.period_minutes, choices=ALARM_PERIOD_MINUTES)
    evaluation_periods = section.integer("evaluation_periods", d.evaluation_periods, minimum=1, maximum=24 * 60 // period)
    datapoints = section.integer("datapoints_to_alarm", d.datapoints_to_alarm, minimum=1, maximum=evaluation_periods)
    alarms = ServiceAlarmThresholds(
        period_minutes=period,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints,
        rate_min_samples=section.integer("rate_min_samples", d.rate_min_samples, minimum=1, maximum=1_000_000),
        api_5xx_rate_percent=section.number("api_5xx_rate_percent", d.api_5xx_rate_percent, minimum=0, maximum=100,
                                            exclusive_minimum=True),
        lambda_error_count=section.integer("lambda_error_count", d.lambda_error_count, minimum=0, maximum=1_000_000),
        lambda_throttle_count=section.integer("lambda_throttle_count", d.lambda_throttle_count, minimum=0,
                                              maximum=1_000_000),
        bedrock_throttle_count=section.integer("bedrock_throttle_count", d.bedrock_throttle_count, minimum=0,
                                               maximum=1_000_000),
        endpoint_5xx_count=section.integer("endpoint_5xx_count", d.endpoint_5xx_count, minimum=0, maximum=1_000_000),
        # SageMaker real-time invocations time out after 60 s (streaming: 8 min); allow up to 15 min.
        endpoint_latency_p99_ms=section.integer("endpoint_latency_p99_ms", d.endpoint_latency_p99_ms, minimum=1,
                                                maximum=900_000),
        guardrail_intervention_rate_percent=section.number(
            "guardrail_intervention_rate_percent", d.guardrail_intervention_rate_percent, minimum=0, maximum=100,
            exclusive_minimum=True),
        filter_error_count=section.integer("filter_error_count", d.filter_error_count, minimum=0, maximum=1_000_000),
    )
    section.finish()
    return alarms


def _cloudtrail(section: Section) -> CloudTrailConfig:
    d = CloudTrailConfig()
    organization = section.boolean("organization_trail_covers_account", d.organization_trail_covers_account)
    if organization and section.has("enabled") and section.boolean("enabled") is True:
        raise ConfigError(section.child_path("enabled"),
                          "must not be true when organization_trail_covers_account is true (the account already has a "
                          "trail); allowed values: false, or leave it out")
    enabled = section.boolean("enabled", d.enabled)
    existing = section.string("existing_log_group_name", None, pattern=LOG_GROUP_NAME_PATTERN,
                              pattern_hint="a CloudWatch Logs log group name (1-512 of A-Z a-z 0-9 . - _ / #)")
    if existing is not None and enabled and not organization:
        raise ConfigError(section.child_path("existing_log_group_name"),
                          "is only used when this environment creates no trail; set enabled: false or "
                          "organization_trail_covers_account: true, or leave it out")
    retention = section.integer("log_retention_days", d.log_retention_days, choices=LOG_RETENTION_DAYS)
    infrequent = section.integer("transition_to_infrequent_access_days", d.transition_to_infrequent_access_days,
                                 minimum=MIN_INFREQUENT_ACCESS_DAYS, maximum=36_500)
    glacier = section.integer("transition_to_glacier_days", d.transition_to_glacier_days, minimum=1, maximum=36_500)
    expiration = section.integer("expiration_days", d.expiration_days, minimum=1, maximum=36_500)
    noncurrent = section.integer("noncurrent_version_expiration_days", d.noncurrent_version_expiration_days,
                                 minimum=1, maximum=36_500)
    if glacier <= infrequent:
        raise ConfigError(section.child_path("transition_to_glacier_days"),
                          f"{glacier} must be greater than transition_to_infrequent_access_days ({infrequent})")
    if expiration <= glacier:
        raise ConfigError(section.child_path("expiration_days"),
                          f"{expiration} must be greater than the last transition, transition_to_glacier_days ({glacier}); "
                          "transition days must be less than expiration days")
    section.finish()
    return CloudTrailConfig(
        enabled=enabled,
        organization_trail_covers_account=organization,
        existing_log_group_name=existing,
        log_retention_days=retention,
        transition_to_infrequent_access_days=infrequent,
        transition_to_glacier_days=glacier,
        expiration_days=expiration,
        noncurrent_version_expiration_days=noncurrent,
    )


def parse_observability(section: Section) -> ObservabilityConfig:
    """Parse ``environments.<name>.observability``; raises :class:`ConfigError` naming the bad key."""
    config = ObservabilityConfig(
        alarm_emails=section.string_list("alarm_emails", [], item=_email, max_items=50),
        alarm_topic_arn=section.string("alarm_topic_arn", None, pattern=SNS_TOPIC_ARN_PATTERN,
                                       pattern_hint="an SNS topic ARN, arn:aws:sns:<region>:<account>:<name>"),
        no_alarm_subscriber_reason=section.string("no_alarm_subscriber_reason", None, pattern=r"\S.{29,}",
                                                  pattern_hint="a reason of at least 30 characters"),
        daily_token_budget=section.integer("daily_token_budget", ObservabilityConfig.daily_token_budget, minimum=1,
                                           maximum=10**15),
        alarms=_alarms(section.section("alarms")),
        cloudtrail=_cloudtrail(section.section("cloudtrail")),
    )
    section.finish()
    return config
