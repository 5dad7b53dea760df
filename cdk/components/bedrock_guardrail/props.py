"""Typed arguments of :class:`~cdk.components.bedrock_guardrail.EnforcedGuardrail` (CDK-free).

``cdk.config.bedrock`` builds :class:`GuardrailPolicy` straight from ``bedrock.guardrail``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace

# The six content filter categories a guardrail must always carry (botocore GuardrailContentFilterType).
REQUIRED_CONTENT_FILTERS = ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK")

# Content filter categories that also judge images (IMAGE modality). Bedrock User Guide, "Block harmful images with
# content filters" (docs.aws.amazon.com/bedrock/latest/userguide/guardrails-mmfilter.html): HATE, INSULTS, SEXUAL
# and VIOLENCE in every Region that offers image filters (eu-west-1 among them, in preview there); MISCONDUCT and
# PROMPT_ATTACK only in the Regions where the feature is generally available (us-east-1, us-west-2, eu-central-1,
# ap-northeast-1), so they stay text-only here. PNG and JPEG, up to 4 MB and 20 images per request; text inside an
# image is judged by these filters only (the PII, word and topic policies read text, not images).
IMAGE_CONTENT_FILTERS = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE")
MODALITIES = ("TEXT", "IMAGE")


def default_modalities(filter_type: str) -> tuple[str, ...]:
    """Every modality the category supports: images too where the guardrail can judge them."""
    return MODALITIES if filter_type in IMAGE_CONTENT_FILTERS else ("TEXT",)


@dataclass(frozen=True)
class ContentFilterSpec:
    """One content filter. Modalities default to :func:`default_modalities` (so ``/v1/generate``'s images are
    filtered wherever the category allows); they are part of the policy fingerprint."""

    type: str
    input_strength: str
    output_strength: str
    input_modalities: tuple[str, ...] | None = None
    output_modalities: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("input_modalities", "output_modalities"):
            value = getattr(self, name)
            object.__setattr__(self, name, default_modalities(self.type) if value is None else tuple(value))


@dataclass(frozen=True)
class RegexSpec:
    name: str
    pattern: str
    action: str = "ANONYMIZE"
    description: str | None = None


@dataclass(frozen=True)
class TopicSpec:
    name: str
    definition: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContextualGroundingSpec:
    """The contextual grounding filters, in detect-only mode (action NONE): the guardrail reports grounding and
    relevance scores to ``ApplyGuardrail`` calls that qualify a grounding source and a query, and the caller (the
    orchestrator) compares them with each knowledge base's own thresholds. The thresholds here only decide the
    ``detected`` flag of the response (0..0.99, Bedrock guardrails user guide). Unverified: whether a Converse call
    without qualified content ever evaluates them (detect-only, so it could not block one either way)."""

    grounding_threshold: float
    relevance_threshold: float


@dataclass(frozen=True)
class GuardrailPolicy:
    """Everything that decides what the guardrail blocks or masks; its fingerprint pins the version."""

    content_filters: Sequence[ContentFilterSpec]
    pii_entities: Mapping[str, str]
    blocked_input_message: str
    blocked_output_message: str
    regexes: Sequence[RegexSpec] = ()
    denied_topics: Sequence[TopicSpec] = ()
    words: Sequence[str] = ()
    managed_word_lists: Sequence[str] = ("PROFANITY",)
    contextual_grounding: ContextualGroundingSpec | None = None

    def screens_input_images(self) -> bool:
        """Whether some content filter judges input images (the orchestrator refuses images otherwise)."""
        return any("IMAGE" in (f.input_modalities or ()) and f.input_strength != "NONE" for f in self.content_filters)

    def fingerprint(self) -> str:
        """A stable hash of the policy (order of PII entities does not matter; order of the rest does). A policy
        without contextual grounding hashes as before that field existed (no new version for it)."""
        data = asdict(replace(self, pii_entities={}))  # any Mapping (asdict deep-copies; a mappingproxy cannot be)
        data["pii_entities"] = dict(sorted(self.pii_entities.items()))
        if self.contextual_grounding is None:
            del data["contextual_grounding"]
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
