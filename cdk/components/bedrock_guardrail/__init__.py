from cdk.components.bedrock_guardrail.construct import EnforcedGuardrail
from cdk.components.bedrock_guardrail.props import (
    REQUIRED_CONTENT_FILTERS,
    ContentFilterSpec,
    ContextualGroundingSpec,
    GuardrailPolicy,
    RegexSpec,
    TopicSpec,
)

__all__ = ["REQUIRED_CONTENT_FILTERS", "ContentFilterSpec", "ContextualGroundingSpec", "EnforcedGuardrail",
           "GuardrailPolicy", "RegexSpec", "TopicSpec"]
