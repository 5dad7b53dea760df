"""Bedrock ``ApplyGuardrail``: request building and a text-free summary of the response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class GuardrailCoverageError(Exception):
    """The guardrail reports it did not evaluate all of the text: treat as a failed check."""


def apply_guardrail(client: Any, *, guardrail_arn: str, guardrail_version: str, source: str, text: str) -> dict:
    # The ARN, not the bare id: see GUARDRAIL_ARN_PATTERN in settings.py (IAM condition, botocore model).
    response = client.apply_guardrail(
        guardrailIdentifier=guardrail_arn,
        guardrailVersion=guardrail_version,
        source=source,
        content=[{"text": {"text": text}}],
    )
    return summarize(response, source=source)


def summarize(response: Mapping[str, Any], *, source: str) -> dict:
    """What fired, by policy and type or configured name; never a ``match`` (that is user text).

    ``GUARDRAIL_INTERVENED`` is reported as blocked, whatever the policy.
    """
    action = response.get("action") or "NONE"
    fired: set[str] = set()
    for assessment in response.get("assessments") or ():
        for topic in (assessment.get("topicPolicy") or {}).get("topics") or ():
            if _fired(topic):
                fired.add(f"topicPolicy:{topic.get('name', 'topic')}")
        for item in (assessment.get("contentPolicy") or {}).get("filters") or ():
            if _fired(item):
                fired.add(f"contentPolicy:{item.get('type', 'unknown')}")
        words = assessment.get("wordPolicy") or {}
        for item in words.get("customWords") or ():
            if _fired(item):
                fired.add("wordPolicy:CUSTOM")
        for item in words.get("managedWordLists") or ():
            if _fired(item):
                fired.add(f"wordPolicy:{item.get('type', 'MANAGED')}")
        sensitive = assessment.get("sensitiveInformationPolicy") or {}
        for item in sensitive.get("piiEntities") or ():
            if _fired(item):
                fired.add(f"sensitiveInformationPolicy:{item.get('type', 'PII')}")
        for item in sensitive.get("regexes") or ():
            if _fired(item):
                fired.add(f"sensitiveInformationPolicy:regex:{item.get('name', 'regex')}")
        for item in (assessment.get("contextualGroundingPolicy") or {}).get("filters") or ():
            if _fired(item):
                fired.add(f"contextualGroundingPolicy:{item.get('type', 'unknown')}")
        findings = (assessment.get("automatedReasoningPolicy") or {}).get("findings")
        if findings and action == "GUARDRAIL_INTERVENED":
            fired.add("automatedReasoningPolicy")
    coverage = ((response.get("guardrailCoverage") or {}).get("textCharacters")) or {}
    guarded, total = coverage.get("guarded"), coverage.get("total")
    if isinstance(guarded, int) and isinstance(total, int) and guarded < total:
        raise GuardrailCoverageError(f"guardrail evaluated {guarded} of {total} characters")
    intervened = action == "GUARDRAIL_INTERVENED"
    return {
        "source": source,
        "action": action,
        "blocked": intervened,
        "policies": sorted({name.split(":", 1)[0] for name in fired}),
        "filters": sorted(fired),
    }


def _fired(item: Mapping[str, Any]) -> bool:
    return item.get("action") not in (None, "NONE") or bool(item.get("detected"))
