"""Safety filters for generative-AI requests: PII masking, toxicity filtering, guardrail checks.

Stands alone: it needs only the standard library, the boto3/botocore clients passed in
(``comprehend``, ``bedrock-runtime``), ``aws_errors`` (the function's one AWS-error classifier) and,
optionally, an injected Powertools ``Metrics``. Its environment contract is ``settings.py``.
"""

from .errors import InputRejected, SafetyBlocked, SafetyError, SafetyUnavailable
from .filter import SafetyFilter
from .screening import InputScreening, OutputScreening, ServiceLimits
from .settings import (
    COMPREHEND_PII_LANGUAGES,
    COMPREHEND_TOXICITY_LANGUAGES,
    DEFAULT_SAFETY_SETTINGS,
    PII_ENTITY_TYPES,
    TOXICITY_LABELS,
    SafetySettings,
)

__all__ = [
    "COMPREHEND_PII_LANGUAGES",
    "COMPREHEND_TOXICITY_LANGUAGES",
    "DEFAULT_SAFETY_SETTINGS",
    "PII_ENTITY_TYPES",
    "TOXICITY_LABELS",
    "InputRejected",
    "InputScreening",
    "OutputScreening",
    "SafetyBlocked",
    "SafetyError",
    "SafetyFilter",
    "SafetySettings",
    "SafetyUnavailable",
    "ServiceLimits",
]
