from cdk.components.web_acl.construct import (
    BODY_SIZE_RULE,
    MANAGED_RULE_GROUPS,
    OVERSIZE_BODY_RULE,
    RATE_RULE,
    RegionalWebAcl,
    decimal_greater_than_regex,
)

__all__ = ["BODY_SIZE_RULE", "MANAGED_RULE_GROUPS", "OVERSIZE_BODY_RULE", "RATE_RULE", "RegionalWebAcl",
           "decimal_greater_than_regex"]
