"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.bedrock_guardrail.props import (
    REQUIRED_CONTENT_FILTERS,
    ContentFilterSpec,
    ContextualGroundingSpec,
    GuardrailPolicy,
    RegexSpec,
    TopicSpec,
)
from cdk.components.lazy import lazy_exports

__getattr__ = lazy_exports(__name__, {"construct": ("EnforcedGuardrail",)})

__all__ = ["REQUIRED_CONTENT_FILTERS", "ContentFilterSpec", "ContextualGroundingSpec", "EnforcedGuardrail",
           "GuardrailPolicy", "RegexSpec", "TopicSpec"]
