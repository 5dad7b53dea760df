from cdk.components.bedrock_guardrail.construct import (
    REQUIRED_CONTENT_FILTERS,
    ContentFilterSpec,
    EnforcedGuardrail,
    GuardrailPolicy,
    RegexSpec,
    TopicSpec,
)

__all__ = ["REQUIRED_CONTENT_FILTERS", "ContentFilterSpec", "EnforcedGuardrail", "GuardrailPolicy", "RegexSpec",
           "TopicSpec"]
