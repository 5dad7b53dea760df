"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.lazy import lazy_exports
from cdk.components.web_acl.props import WebAclRules

__getattr__ = lazy_exports(__name__, {"construct": (
    "BODY_SIZE_RULE", "MANAGED_RULE_GROUPS", "OVERSIZE_BODY_RULE", "RATE_RULE", "RegionalWebAcl",
    "decimal_greater_than_regex",
)})

__all__ = ["BODY_SIZE_RULE", "MANAGED_RULE_GROUPS", "OVERSIZE_BODY_RULE", "RATE_RULE", "RegionalWebAcl", "WebAclRules",
           "decimal_greater_than_regex"]
