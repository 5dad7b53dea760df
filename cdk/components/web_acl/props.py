"""Typed arguments of :class:`~cdk.components.web_acl.RegionalWebAcl` (CDK-free).

The config reader (``cdk/config/api.py``) builds :class:`WebAclRules` directly, so each default and bound is
written once, here.
"""

from __future__ import annotations

from dataclasses import dataclass

# AssociationConfig RequestBody.API_GATEWAY.DefaultSizeInspectionLimit: the CloudFormation schema bundled with
# cfn-lint 1.58 (AWS::WAFv2::WebACL SizeInspectionLimit) allows KB_16, KB_32, KB_48, KB_64; AWS WAF Developer Guide,
# "Body inspection size limits": 16 KB by default for API Gateway, up to 64 KB, each 16 KB above the default billed.
BODY_INSPECTION_LIMITS = {"KB_16": 16 * 1024, "KB_32": 32 * 1024, "KB_48": 48 * 1024, "KB_64": 64 * 1024}
# Rate-based rule EvaluationWindowSec values (CloudFormation AWS::WAFv2::WebACL RateBasedStatement).
RATE_WINDOWS_SECONDS = (60, 120, 300, 600)
# WAF rate-based rules: 10 .. 2,000,000,000 requests per evaluation window.
RATE_LIMIT_RANGE = (10, 2_000_000_000)
OVERSIZE_BODY_ACTIONS = ("COUNT", "BLOCK")
# The rules of AWSManagedRulesCommonRuleSet (AWS WAF Developer Guide, baseline rule groups).
COMMON_RULE_SET_RULES = (
    "NoUserAgent_HEADER", "UserAgent_BadBots_HEADER", "SizeRestrictions_QUERYSTRING", "SizeRestrictions_Cookie_HEADER",
    "SizeRestrictions_BODY", "SizeRestrictions_URIPATH", "EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_COOKIE",
    "EC2MetaDataSSRF_URIPATH", "EC2MetaDataSSRF_QUERYARGUMENTS", "GenericLFI_QUERYARGUMENTS", "GenericLFI_URIPATH",
    "GenericLFI_BODY", "RestrictedExtensions_URIPATH", "RestrictedExtensions_QUERYARGUMENTS",
    "GenericRFI_QUERYARGUMENTS", "GenericRFI_BODY", "GenericRFI_URIPATH", "CrossSiteScripting_COOKIE",
    "CrossSiteScripting_QUERYARGUMENTS", "CrossSiteScripting_BODY", "CrossSiteScripting_URIPATH",
)
# Blocks every body over 8 KB: a prompt is longer than that. Always counted, never blocking; the web ACL's own
# size rule enforces max_body_bytes instead.
COMMON_RULE_SET_BODY_SIZE_RULE = "SizeRestrictions_BODY"


@dataclass(frozen=True)
class WebAclRules:
    """What the web ACL limits, counts and inspects.

    ``max_body_bytes``: the largest ``Content-Length`` let through; ``rate_limit`` requests per
    ``rate_limit_window_seconds`` from one IP; ``count_rules``: CommonRuleSet rules overridden to count (its 8 KB
    body rule always is); ``body_inspection_limit``: how much of a body WAF inspects; ``oversize_body_action``:
    what happens to a body longer than that (``COUNT`` by default: a request with an image is far larger).
    """

    max_body_bytes: int
    rate_limit: int = 1_000
    rate_limit_window_seconds: int = 300
    count_rules: tuple[str, ...] = ()
    body_inspection_limit: str = "KB_16"
    oversize_body_action: str = "COUNT"

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be positive")
        if not RATE_LIMIT_RANGE[0] <= self.rate_limit <= RATE_LIMIT_RANGE[1]:
            raise ValueError(f"rate_limit must be from {RATE_LIMIT_RANGE[0]} to {RATE_LIMIT_RANGE[1]}")
        if self.rate_limit_window_seconds not in RATE_WINDOWS_SECONDS:
            raise ValueError(f"rate_limit_window_seconds must be one of {RATE_WINDOWS_SECONDS}")
        unknown = [rule for rule in self.count_rules if rule not in COMMON_RULE_SET_RULES]
        if unknown:
            raise ValueError(f"count_rules: {unknown} are not rules of AWSManagedRulesCommonRuleSet")
        if self.body_inspection_limit not in BODY_INSPECTION_LIMITS:
            raise ValueError(f"body_inspection_limit must be one of {', '.join(BODY_INSPECTION_LIMITS)}")
        if self.oversize_body_action not in OVERSIZE_BODY_ACTIONS:
            raise ValueError(f"oversize_body_action must be one of {', '.join(OVERSIZE_BODY_ACTIONS)}")

    @property
    def counted_rules(self) -> tuple[str, ...]:
        """The CommonRuleSet rules that count instead of block: the 8 KB body rule always, plus ``count_rules``."""
        return tuple(dict.fromkeys((COMMON_RULE_SET_BODY_SIZE_RULE, *self.count_rules)))
