"""Metrics for structured outputs: JSON validity and field accuracy (extract), label accuracy and
macro-F1 (classify). Hand-written: no maintained library covers them for our output contract."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .text import normalize


def parse_json_object(output: str) -> dict[str, Any] | None:
    """The output as a JSON object, or None. The extract prompt asks for "valid JSON only": text around
    the object, a code fence, or a JSON array is not valid."""
    try:
        value = json.loads(output.strip())
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def json_valid(output: str) -> float:
    return 1.0 if parse_json_object(output) is not None else 0.0


def _same_value(predicted: Any, expected: Any) -> bool:
    if expected is None or predicted is None:
        return expected is None and predicted is None
    if isinstance(expected, list):
        if not isinstance(predicted, list) or len(predicted) != len(expected):
            return False
        return sorted(normalize(str(v)) for v in predicted) == sorted(normalize(str(v)) for v in expected)
    return normalize(str(predicted)) == normalize(str(expected))


def field_accuracy(output: str, expected: Mapping[str, Any]) -> float:
    """Share of the expected fields whose predicted value matches (normalized text; a list matches as a
    set; null matches only null). Invalid JSON scores 0."""
    predicted = parse_json_object(output)
    if predicted is None or not expected:
        return 0.0
    return sum(1 for key, value in expected.items() if key in predicted and _same_value(predicted[key], value)) / len(
        expected
    )


def normalize_label(output: str) -> str:
    """The first line of the output, lowercased, without surrounding punctuation or quotes ("Label: Toxic."
    -> "toxic"): the classify prompt asks for the label only."""
    first = output.strip().splitlines()[0] if output.strip() else ""
    if ":" in first:
        first = first.rsplit(":", 1)[1]
    return first.strip().strip("\"'`.*[]()").strip().lower().replace(" ", "_")


def label_accuracy(predictions: Sequence[str], labels: Sequence[str]) -> float:
    if not labels:
        return 0.0
    return sum(1 for p, g in zip(predictions, labels, strict=True) if p == g) / len(labels)


def macro_f1(predictions: Sequence[str], labels: Sequence[str]) -> float:
    """Unweighted mean of per-class F1 over the classes in the gold labels (a predicted class that never
    occurs in the gold labels lowers precision of nothing but still counts as an error for its item)."""
    classes = sorted(set(labels))
    if not classes:
        return 0.0
    scores = []
    for cls in classes:
        tp = sum(1 for p, g in zip(predictions, labels, strict=True) if p == cls and g == cls)
        fp = sum(1 for p, g in zip(predictions, labels, strict=True) if p == cls and g != cls)
        fn = sum(1 for p, g in zip(predictions, labels, strict=True) if p != cls and g == cls)
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)
