"""Toxicity verdicts from Comprehend ``DetectToxicContent`` results and guardrail assessments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .settings import TOXICITY_LABELS, SafetySettings


def batches(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def evaluate_comprehend(results: Iterable[Mapping[str, Any]], settings: SafetySettings, segments: int) -> dict:
    """Fold per-segment ``ResultList`` entries into one verdict.

    A text is blocked when, in any segment, the overall ``Toxicity`` score or any label's score
    reaches its threshold (``score >= threshold``). Scores reported are the maxima over segments.
    """
    max_toxicity = 0.0
    label_max: dict[str, float] = dict.fromkeys(TOXICITY_LABELS, 0.0)
    for result in results:
        max_toxicity = max(max_toxicity, float(result.get("Toxicity") or 0.0))
        for label in result.get("Labels") or ():
            name = label.get("Name")
            if not name:
                continue
            label_max[name] = max(label_max.get(name, 0.0), float(label.get("Score") or 0.0))
    blocked_labels = sorted(
        name
        for name, score in label_max.items()
        if name in settings.toxicity_label_thresholds and score >= settings.toxicity_label_thresholds[name]
    )
    overall_blocked = max_toxicity >= settings.toxicity_threshold
    reasons = list(blocked_labels)
    if overall_blocked:
        reasons.append("TOXICITY")
    return {
        "source": "comprehend",
        "blocked": bool(reasons),
        "reasons": reasons,
        "toxicity": round(max_toxicity, 4),
        "labels": {name: round(score, 4) for name, score in sorted(label_max.items())},
        "segments": segments,
    }
