"""Section ``api``: the prompt-orchestration REST API, its Lambda function, chat history and WAF.

Every key has a default; an environment states only what it changes::

    "api": {"waf_enabled": true, "lambda_reserved_concurrency": 100, "throttle_rate_limit": 50}

Timeouts hang together: API Gateway gives up after ``integration_timeout_seconds`` (29 s unless the
account's quota was raised), the Lambda function runs at most that long (``lambda_timeout_seconds``,
never shorter), and the handler stops its own work ``deadline_margin_seconds`` earlier
(``REQUEST_DEADLINE_SECONDS``), so a slow model ends as the handler's clean 504 with the JSON error
shape, never as the gateway's timeout:

    REQUEST_DEADLINE_SECONDS < integration_timeout_seconds <= lambda_timeout_seconds
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdk.components.web_acl.props import (
    BODY_INSPECTION_LIMITS,
    COMMON_RULE_SET_RULES,
    RATE_LIMIT_RANGE,
    RATE_WINDOWS_SECONDS,
    WebAclRules,
)
from cdk.config.fields import ConfigError, Section
from cdk.config.safety import SafetyConfig
from cdk.config.streaming import StreamingConfig, parse_streaming

AUTHORIZATION_TYPES = ("iam", "cognito")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
EXECUTION_LOG_LEVELS = ("off", "error", "info")

# API Gateway REST integrations: 50 ms..29 s by default; Regional and private REST APIs can go higher
# after a Service Quotas increase ("Maximum integration timeout in milliseconds"). The function's
# timeout is at least the integration timeout, so Lambda's 900 s maximum bounds a raised quota here.
DEFAULT_MAX_INTEGRATION_TIMEOUT_SECONDS = 29
LAMBDA_MAX_TIMEOUT_SECONDS = 900

# How much of an API Gateway request body AWS WAF inspects (web ACL AssociationConfig
# RequestBody.API_GATEWAY.DefaultSizeInspectionLimit): 16 KB by default, up to 64 KB at extra cost.
WAF_BODY_INSPECTION_LIMITS_KB = tuple(int(limit.removeprefix("KB_")) for limit in BODY_INSPECTION_LIMITS)

# The largest body the orchestrator parses (lambdas/orchestrator/orchestrator/validation.py,
# max_body_bytes): all text at 6 bytes a character (a JSON \uXXXX escape), one base64 image of at
# most 3.75 MB (Converse's limit) and 64 KiB of structure. The gateway never blocks what it accepts.
BYTES_PER_CHAR_WORST_CASE = 6
MAX_IMAGE_BASE64_BYTES = (3_932_160 * 4) // 3
JSON_STRUCTURE_BYTES = 65_536
# Lambda's synchronous invocation payload is 6 MB; the proxy event wraps the body in headers and context.
MAX_BODY_BYTES_CEILING = 6_000_000


def runtime_max_body_bytes(max_input_chars: int) -> int:
    """The orchestrator's own body limit for ``MAX_INPUT_CHARS = max_input_chars``."""
    return max_input_chars * BYTES_PER_CHAR_WORST_CASE + MAX_IMAGE_BASE64_BYTES + JSON_STRUCTURE_BYTES


@dataclass(frozen=True)
class ApiConfig:
    stage_name: str = "api"
    authorization: str = "iam"
    # Stage-wide method throttling (every route, every caller together). There is no usage plan: callers are
    # told apart by IAM or Cognito, not API keys (see OrchestrationApi); per-source limits are WAF's rate rule.
    throttle_rate_limit: float = 10.0
    throttle_burst_limit: int = 20
    execution_log_level: str = "off"
    integration_timeout_seconds: int = 29
    integration_timeout_quota_raised: bool = False
    deadline_margin_seconds: int = 3
    lambda_timeout_seconds: int | None = None
    lambda_memory_mb: int = 1024
    lambda_reserved_concurrency: int = 10
    # Lambda SnapStart for the API function (published version + "live" alias behind API Gateway): cold starts
    # resume from a snapshot taken after init and client priming; costs a snapshot cache per GB-second of memory
    # and a restore charge per cold start (see `make cost-report`).
    lambda_snap_start: bool = True
    log_level: str = "INFO"
    metrics_namespace: str = "GenAiStack"
    max_input_chars: int = 20_000
    max_request_body_bytes: int = runtime_max_body_bytes(20_000)
    conversation_ttl_seconds: int = 7 * 24 * 3600
    chat_history_max_tokens: int = 8_000
    conversation_point_in_time_recovery: bool = True
    waf_enabled: bool = False
    waf: WebAclRules = field(default_factory=lambda: WebAclRules(max_body_bytes=runtime_max_body_bytes(20_000)))
    streaming: StreamingConfig = field(default_factory=StreamingConfig)  # api.streaming (cdk/config/streaming.py)

    @property
    def function_timeout_seconds(self) -> int:
        """The Lambda timeout: the integration timeout unless configured longer."""
        return self.lambda_timeout_seconds or self.integration_timeout_seconds

    @property
    def request_deadline_seconds(self) -> int:
        """``REQUEST_DEADLINE_SECONDS``: when the handler stops waiting on models and answers."""
        return self.integration_timeout_seconds - self.deadline_margin_seconds


def parse_api(section: Section, *, safety: SafetyConfig | None = None) -> ApiConfig:
    """Parse ``api``; ``safety`` (already parsed) lets limits that span both sections be checked."""
    d = ApiConfig()
    quota_raised = section.boolean("integration_timeout_quota_raised", d.integration_timeout_quota_raised)
    timeout_ceiling = LAMBDA_MAX_TIMEOUT_SECONDS if quota_raised else DEFAULT_MAX_INTEGRATION_TIMEOUT_SECONDS
    integration_timeout = section.integer("integration_timeout_seconds", d.integration_timeout_seconds, minimum=1)
    if integration_timeout > timeout_ceiling:
        raise ConfigError(
            section.child_path("integration_timeout_seconds"),
            f"{integration_timeout} is out of range; allowed: [1, {timeout_ceiling}]"
            + ("" if quota_raised else " (API Gateway's default quota; after AWS raises the account's 'Maximum "
               "integration timeout in milliseconds' quota for this Regional API, also set "
               "integration_timeout_quota_raised: true)"),
        )
    margin = section.integer("deadline_margin_seconds", d.deadline_margin_seconds, minimum=1)
    if margin >= integration_timeout:
        raise ConfigError(section.child_path("deadline_margin_seconds"),
                          f"{margin} is out of range; allowed: [1, {integration_timeout - 1}] (below "
                          "integration_timeout_seconds, so the handler has a deadline of at least 1 s)")
    lambda_timeout = section.integer("lambda_timeout_seconds", None, minimum=1, maximum=LAMBDA_MAX_TIMEOUT_SECONDS)
    if lambda_timeout is not None and lambda_timeout < integration_timeout:
        raise ConfigError(section.child_path("lambda_timeout_seconds"),
                          f"{lambda_timeout} is out of range; allowed: [{integration_timeout}, {LAMBDA_MAX_TIMEOUT_SECONDS}] "
                          "(at least integration_timeout_seconds, or the function is cut off before the gateway gives up)")

    throttle_rate = section.number("throttle_rate_limit", d.throttle_rate_limit, minimum=0.0, maximum=10_000.0,
                                   exclusive_minimum=True)
    throttle_burst = section.integer("throttle_burst_limit", d.throttle_burst_limit, minimum=1, maximum=5_000)

    max_input_chars = section.integer("max_input_chars", d.max_input_chars, minimum=1, maximum=100_000)
    # At least a text-only request of max_input_chars, so a prompt of the maximum length is never blocked.
    smallest_body = max_input_chars * BYTES_PER_CHAR_WORST_CASE + JSON_STRUCTURE_BYTES
    max_body = section.integer("max_request_body_bytes", runtime_max_body_bytes(max_input_chars),
                               minimum=smallest_body, maximum=MAX_BODY_BYTES_CEILING)

    count_rules = section.string_list("waf_count_rules", (), item=_common_rule)
    streaming = parse_streaming(section.section("streaming"),
                                safety_timeout_seconds=safety.timeout_seconds if safety is not None else 0.0)
    config = ApiConfig(
        stage_name=section.string("stage_name", d.stage_name, pattern=r"[A-Za-z0-9_-]{1,128}",
                                  pattern_hint="1-128 letters, digits, '-' or '_'"),
        authorization=section.string("authorization", d.authorization, choices=AUTHORIZATION_TYPES),
        throttle_rate_limit=throttle_rate,
        throttle_burst_limit=throttle_burst,
        execution_log_level=section.string("execution_log_level", d.execution_log_level, choices=EXECUTION_LOG_LEVELS),
        integration_timeout_seconds=integration_timeout,
        integration_timeout_quota_raised=quota_raised,
        deadline_margin_seconds=margin,
        lambda_timeout_seconds=lambda_timeout,
        # Lambda: 128..10240 MB in 1 MB steps.
        lambda_memory_mb=section.integer("lambda_memory_mb", d.lambda_memory_mb, minimum=128, maximum=10_240),
        lambda_reserved_concurrency=section.integer("lambda_reserved_concurrency", d.lambda_reserved_concurrency,
                                                    minimum=1, maximum=10_000),
        lambda_snap_start=section.boolean("lambda_snap_start", d.lambda_snap_start),
        log_level=section.string("log_level", d.log_level, choices=LOG_LEVELS),
        metrics_namespace=section.string("metrics_namespace", d.metrics_namespace, pattern=r"[A-Za-z0-9._/#:-]{1,255}",
                                         pattern_hint="a CloudWatch namespace (1-255 of letters, digits and ._/#:-)"),
        max_input_chars=max_input_chars,
        max_request_body_bytes=max_body,
        # The orchestrator accepts 60 s .. 365 days.
        conversation_ttl_seconds=section.integer("conversation_ttl_seconds", d.conversation_ttl_seconds,
                                                 minimum=60, maximum=31_536_000),
        chat_history_max_tokens=section.integer("chat_history_max_tokens", d.chat_history_max_tokens,
                                                minimum=100, maximum=1_000_000),
        conversation_point_in_time_recovery=section.boolean("conversation_point_in_time_recovery",
                                                            d.conversation_point_in_time_recovery),
        waf_enabled=section.boolean("waf_enabled", d.waf_enabled),
        waf=WebAclRules(
            max_body_bytes=max_body,
            rate_limit=section.integer("waf_rate_limit", d.waf.rate_limit, minimum=RATE_LIMIT_RANGE[0],
                                       maximum=RATE_LIMIT_RANGE[1]),
            rate_limit_window_seconds=section.integer("waf_rate_limit_window_seconds", d.waf.rate_limit_window_seconds,
                                                      choices=RATE_WINDOWS_SECONDS),
            count_rules=count_rules,
            body_inspection_limit="KB_" + str(section.integer(
                "waf_body_inspection_limit_kb", int(d.waf.body_inspection_limit.removeprefix("KB_")),
                choices=WAF_BODY_INSPECTION_LIMITS_KB)),
        ),
        streaming=streaming,
    )
    section.finish()
    if safety is not None:
        _check_against_safety(config, safety, section)
    return config


def _common_rule(path: str, name: str) -> str:
    if name not in COMMON_RULE_SET_RULES:
        raise ConfigError(path, f"{name!r} is not a rule of AWSManagedRulesCommonRuleSet; allowed values: "
                                f"{', '.join(COMMON_RULE_SET_RULES)}")
    return name


def _check_against_safety(api: ApiConfig, safety: SafetyConfig, section: Section) -> None:
    """Limits that span the two sections: the safety filters must fit inside what the API accepts."""
    if safety.max_input_chars < api.max_input_chars:
        raise ConfigError(section.child_path("max_input_chars"),
                          f"{api.max_input_chars} is out of range; allowed: [1, {safety.max_input_chars}] (at most "
                          "safety.max_input_chars, or the safety filters refuse requests the API accepts)")
    if safety.timeout_seconds >= api.request_deadline_seconds:
        raise ConfigError(section.child_path("deadline_margin_seconds"),
                          f"leaves a request deadline of {api.request_deadline_seconds} s, not more than "
                          f"safety.timeout_seconds ({safety.timeout_seconds:g} s); allowed: a deadline above the safety "
                          "timeout (lower deadline_margin_seconds or safety.timeout_seconds)")
