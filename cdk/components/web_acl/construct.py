"""A regional AWS WAF web ACL for an API: AWS managed rules, a per-IP rate limit and a body-size limit."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk.components.encrypted_log_group import EncryptedLogGroup
from cdk.components.web_acl.props import BODY_INSPECTION_LIMITS, WebAclRules

# Evaluated in this order (lower priority first): cheap reputation and volume checks before body ones.
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesCommonRuleSet",
)
BODY_SIZE_RULE = "BodySizeLimit"
OVERSIZE_BODY_RULE = "BodyBeyondInspectionLimit"
# Request headers that carry credentials: SigV4 signatures, Cognito bearer tokens, STS session tokens.
REDACTED_HEADERS = ("authorization", "x-amz-security-token")
RATE_RULE = "RateLimitPerIp"
# WAF log destinations must be named with this prefix.
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"


def decimal_greater_than_regex(limit: int) -> str:
    """A regular expression matching exactly the decimal integers greater than ``limit``.

    AWS WAF forwards at most 64 KB of a body for inspection, so a body larger than that cannot be
    measured by a size constraint on the body; its ``Content-Length`` header still carries the full size.
    """
    if limit < 0:
        raise ValueError("limit must be >= 0")
    digits = str(limit)
    width = len(digits)
    alternatives = [f"[1-9][0-9]{{{width},}}"]  # more digits than the limit
    for index, digit in enumerate(digits):  # same width: equal prefix, then a bigger digit
        if digit == "9":
            continue
        rest = width - index - 1
        bigger = str(int(digit) + 1) if digit == "8" else f"[{int(digit) + 1}-9]"
        alternatives.append(digits[:index] + bigger + (f"[0-9]{{{rest}}}" if rest else ""))
    return "^0*(" + "|".join(alternatives) + ")$"


class RegionalWebAcl(Construct):
    """A REGIONAL web ACL (API Gateway, ALB, AppSync, Cognito) that logs to an encrypted log group.

    Rules, in order (the limits are ``rules``, a :class:`WebAclRules`):

    1. ``AWSManagedRulesAmazonIpReputationList``: sources AWS threat intelligence flags.
    2. ``RateLimitPerIp``: more than ``rate_limit`` requests per ``rate_limit_window_seconds`` from one IP.
    3. ``BodySizeLimit``: a ``Content-Length`` above ``max_body_bytes``.
    4. ``BodyBeyondInspectionLimit``: a body longer than ``body_inspection_limit`` (``OversizeHandling: MATCH``),
       so such requests are explicit in metrics and logs (``oversize_body_action`` ``COUNT``) or refused
       (``BLOCK``). Counting is the default because a request with an image is far larger than 64 KB;
       past the limit only the orchestrator's filters (Comprehend, the guardrail) see the rest of the body.
    5. ``AWSManagedRulesKnownBadInputsRuleSet``: exploit patterns (Log4j, Java deserialization, ...).
    6. ``AWSManagedRulesCommonRuleSet``, with ``rules.counted_rules`` overridden to count: its
       ``SizeRestrictions_BODY`` blocks every body over 8 KB, far below a legitimate long prompt, so
       callers pass it and ``BodySizeLimit`` enforces the API's own maximum instead.

    ``body_inspection_limit`` is how much of an API Gateway body WAF inspects (``KB_16`` .. ``KB_64``;
    above 16 KB costs extra); the body rules of the managed groups see that much of each body and handle
    the rest as their AWS-defined oversize handling says. Logs redact the ``authorization`` and
    ``x-amz-security-token`` headers.

    Example::

        from aws_cdk import App, CfnOutput, RemovalPolicy, Stack
        from aws_cdk import aws_logs as logs

        from cdk.components.web_acl import RegionalWebAcl, WebAclRules

        app = App()
        stack = Stack(app, "Example")
        rules = WebAclRules(max_body_bytes=65_536, rate_limit=1000, rate_limit_window_seconds=300,
                            body_inspection_limit="KB_64")
        acl = RegionalWebAcl(stack, "Waf", rules=rules, log_retention=logs.RetentionDays.ONE_YEAR,
                             removal_policy=RemovalPolicy.RETAIN)
        CfnOutput(stack, "WebAclArn", value=acl.web_acl_arn)  # acl.associate("ApiStage", stage_arn) attaches it
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rules: WebAclRules,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        log_encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        metric_prefix = "".join(part.title() for part in stack.stack_name.replace("_", "-").split("-"))

        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=f"{metric_prefix}{name}", sampled_requests_enabled=True,
            )

        def custom(name: str, priority: int, action: wafv2.CfnWebACL.RuleActionProperty,
                   statement: wafv2.CfnWebACL.StatementProperty) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(name=name, priority=priority, action=action, statement=statement,
                                                visibility_config=visibility(name))

        def managed(name: str, priority: int, overrides: Sequence[str] = ()) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS",
                        name=name,
                        rule_action_overrides=[
                            wafv2.CfnWebACL.RuleActionOverrideProperty(
                                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                            )
                            for rule in overrides
                        ] or None,
                    )
                ),
                visibility_config=visibility(name),
            )

        block = wafv2.CfnWebACL.RuleActionProperty(block={})
        oversize = wafv2.CfnWebACL.RuleActionProperty(**{rules.oversize_body_action.lower(): {}})
        acl_rules = [
            managed(MANAGED_RULE_GROUPS[0], 0),
            custom(RATE_RULE, 1, block, wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP", limit=rules.rate_limit, evaluation_window_sec=rules.rate_limit_window_seconds,
                ))),
            custom(BODY_SIZE_RULE, 2, block, wafv2.CfnWebACL.StatementProperty(
                regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(single_header={"Name": "content-length"}),
                    regex_string=decimal_greater_than_regex(rules.max_body_bytes),
                    text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
                ))),
            custom(OVERSIZE_BODY_RULE, 3, oversize, wafv2.CfnWebACL.StatementProperty(
                size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                        body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")),
                    comparison_operator="GT",
                    size=BODY_INSPECTION_LIMITS[rules.body_inspection_limit],
                    text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
                ))),
            managed(MANAGED_RULE_GROUPS[1], 4),
            managed(MANAGED_RULE_GROUPS[2], 5, rules.counted_rules),
        ]
        # No L2 for WAFv2 in aws-cdk-lib: L1 resources throughout.
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            description=f"Protects {stack.stack_name}",
            rules=acl_rules,
            visibility_config=visibility("WebAcl"),
            association_config=wafv2.CfnWebACL.AssociationConfigProperty(
                request_body={
                    "API_GATEWAY": wafv2.CfnWebACL.RequestBodyAssociatedResourceTypeConfigProperty(
                        default_size_inspection_limit=rules.body_inspection_limit
                    )
                }
            ),
        )
        self.web_acl_arn = self.web_acl.attr_arn

        log_group_name = f"{WAF_LOG_GROUP_PREFIX}{stack.stack_name}"
        self.log_group = EncryptedLogGroup(
            self, "Logs", retention=log_retention, removal_policy=removal_policy, encryption_key=log_encryption_key,
            log_group_name=log_group_name,
        ).log_group
        self.logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            # WAF wants the log group's ARN without the ":*" that CloudFormation's Arn attribute ends with.
            log_destination_configs=[
                stack.format_arn(service="logs", resource="log-group", resource_name=log_group_name,
                                 arn_format=ArnFormat.COLON_RESOURCE_NAME)
            ],
            # SigV4 signatures, bearer tokens and session tokens stay out of the logs.
            redacted_fields=[wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
                             for header in REDACTED_HEADERS],
        )
        self.logging.node.add_dependency(self.log_group)

    def associate(self, construct_id: str, resource_arn: str) -> wafv2.CfnWebACLAssociation:
        """Protect a regional resource (an API Gateway stage ARN, an ALB, ...) with this web ACL."""
        return wafv2.CfnWebACLAssociation(self, construct_id, resource_arn=resource_arn, web_acl_arn=self.web_acl_arn)
