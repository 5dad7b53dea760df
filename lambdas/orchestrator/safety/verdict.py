"""The outcome of one screening pass, the verdict drawn from it, and the JSON-able analysis.

Policy: a check that blocks wins over masking; when several block, ``toxicity`` is reported
first, then ``guardrail``, then ``pii`` (all are listed in ``details.blocked_checks``). A check
that could not run fails the screening closed (429 when every failure is throttling, else 503)
unless ``fail_open`` is set, in which case it is reported as ``skipped``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import SafetyBlocked, SafetyUnavailable
from .language import LanguageRoute
from .pii import Entity, mask_spans, merge_same_type

BLOCK_ORDER = ("toxicity", "guardrail", "pii")
_MESSAGES = {
    "pii": "contains sensitive data that is not allowed",
    "toxicity": "was blocked by the toxicity filter",
    "guardrail": "was blocked by the guardrail",
}


@dataclass
class ScreeningOutcome:
    """Results of one screening pass; None for a check that did not run or failed."""

    entities: list[Entity] | None = None
    toxicity: dict[str, Any] | None = None
    guardrail: dict[str, Any] | None = None
    failures: dict[str, str] = field(default_factory=dict)  # check -> throttled|timeout|error
    checks: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the checks decided: ``report`` (merged entities), ``spans`` (to mask) and the blocking checks."""

    report: tuple[Entity, ...]
    spans: tuple[Entity, ...]
    blocked_by: tuple[str, ...]

    @classmethod
    def of(cls, outcome: ScreeningOutcome, entities: list[Entity] | None) -> Verdict:
        report = merge_same_type(entities) if entities is not None else []
        blocked = []
        toxicity = outcome.toxicity
        if toxicity is not None and toxicity.get("blocked") and toxicity["source"] == "comprehend":
            blocked.append("toxicity")
        if outcome.guardrail is not None and outcome.guardrail.get("blocked"):
            blocked.append("guardrail")
        if any(entity.action == "block" for entity in report):
            blocked.append("pii")
        return cls(report=tuple(report), spans=tuple(mask_spans(report)), blocked_by=tuple(blocked))

    @property
    def blocked(self) -> bool:
        return bool(self.blocked_by)

    def error(self, outcome: ScreeningOutcome, *, phase: str) -> SafetyBlocked:
        """The 422 for a blocked verdict (types, labels and policy names only, never text)."""
        check = next(name for name in BLOCK_ORDER if name in self.blocked_by)
        details: dict[str, Any] = {"phase": phase, "blocked_checks": list(self.blocked_by)}
        if "pii" in self.blocked_by:
            details["entity_types"] = sorted({e.type for e in self.report if e.action == "block"})
        if "toxicity" in self.blocked_by:
            details["labels"] = list(outcome.toxicity.get("reasons", []))
        if "guardrail" in self.blocked_by:
            details["policies"] = list(outcome.guardrail.get("policies", []))
            details["filters"] = list(outcome.guardrail.get("filters", []))
        subject = "The request" if phase == "input" else "The model response"
        return SafetyBlocked(f"{subject} {_MESSAGES[check]}.", check=check, details=details)

    def masked_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for span in self.spans:
            if span.action == "mask":
                counts[span.type] = counts.get(span.type, 0) + 1
        return counts

    def analysis(self, language: LanguageRoute, outcome: ScreeningOutcome, *, mode: str) -> dict[str, Any]:
        checks = {
            "language": language.source,
            "pii": outcome.checks.get("pii", "skipped"),
            "toxicity": outcome.checks.get("toxicity", "skipped"),
            "guardrail": outcome.checks.get("guardrail", "not_requested"),
        }
        if "toxicity" in outcome.failures:
            checks["toxicity"] = "skipped"
        if "guardrail" in outcome.failures and checks["guardrail"] == "applied":
            checks["guardrail"] = "skipped"
        toxicity = outcome.toxicity if outcome.toxicity is not None else {"source": None, "blocked": False, "skipped": True}
        analysis: dict[str, Any] = {
            "language": language.code,
            "checks": checks,
            "pii": {
                "mode": mode,
                "language": language.pii_language,
                "entities": [entity.to_dict() for entity in self.report],
                "masked_count": len(self.spans),
            },
            "toxicity": toxicity,
        }
        if outcome.guardrail is not None:
            analysis["guardrail"] = outcome.guardrail
        if outcome.failures:
            analysis["skipped"] = [{"check": check, "reason": kind} for check, kind in sorted(outcome.failures.items())]
        return analysis


def unavailable(failures: dict[str, str]) -> SafetyUnavailable:
    check = sorted(failures)[0]
    kinds = set(failures.values())
    if kinds == {"throttled"}:
        status, code, what = 429, "safety_throttled", "is throttled"
    elif kinds == {"timeout"}:
        status, code, what = 503, "safety_timeout", "timed out"
    else:
        status, code, what = 503, "safety_unavailable", "is unavailable"
    return SafetyUnavailable(
        f"The {check} safety check {what}; the text was not passed on unchecked. Retry later.",
        status=status,
        code=code,
        check=check,
        details={"failed_checks": dict(sorted(failures.items()))},
    )


def settle_failures(outcome: ScreeningOutcome, *, fail_open: bool) -> None:
    """Raise :class:`SafetyUnavailable` for failed checks, or mark them skipped when failing open."""
    if not outcome.failures:
        return
    if not fail_open:
        raise unavailable(outcome.failures)
    for check in outcome.failures:
        outcome.checks[check] = "skipped"
