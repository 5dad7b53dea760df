"""Records -> one result per use case x model: the use case's declared quality metrics plus the
operational metrics every run reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from . import grounding, structured, text
from .metric_sets import METRIC_SETS
from .operational import outcome_of, summarize_outcomes
from .requests import output_text

_PER_ITEM_TEXT = {"exact_match": text.exact_match, "token_f1": text.token_f1, "rouge_l": text.rouge_l, "chrf": text.chrf}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _quality(use_case: str, records: list[Mapping[str, Any]], available: Mapping[str, bool]) -> dict[str, Any]:
    metric_set = METRIC_SETS[use_case]
    # A failed request (any non-200) scores 0 on every per-item metric: errors must not look like quality.
    outputs = [output_text(r["body"]) if r["status"] == 200 else None for r in records]
    items = [r["item"] for r in records]
    pairs = list(zip(outputs, items, strict=True))
    scores: dict[str, Any] = {}
    for metric in metric_set.metrics:
        if metric in text.LIBRARY_METRICS and not available[metric]:
            scores[metric] = None
        elif metric in _PER_ITEM_TEXT:
            fn = _PER_ITEM_TEXT[metric]
            scores[metric] = _mean([0.0 if out is None else fn(out, it["references"]) for out, it in pairs])
        elif metric == "json_valid":
            scores[metric] = _mean([0.0 if out is None else structured.json_valid(out) for out in outputs])
        elif metric == "field_accuracy":
            scores[metric] = _mean([0.0 if out is None else structured.field_accuracy(out, it["references"][0])
                                    for out, it in pairs])
        elif metric in ("label_accuracy", "macro_f1"):
            predicted = ["" if out is None else structured.normalize_label(out) for out in outputs]
            gold = [it["label"] for it in items]
            fn = structured.label_accuracy if metric == "label_accuracy" else structured.macro_f1
            scores[metric] = fn(predicted, gold) if gold else None
        elif metric == "idk_correct":
            scores[metric] = _mean([
                0.0 if out is None else grounding.idk_correct(out, unanswerable="unanswerable" in it.get("tags", ()))
                for out, it in pairs
            ])
        elif metric == "citation_precision":
            counts = [grounding.citation_counts(out, it["citations"])
                      for out, it in pairs if out is not None and it.get("citations")]
            scores[metric] = grounding.citation_precision(counts)
    return scores


def score(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One result per (use case, model), sorted: ``quality`` (None = not computable here, see
    ``unavailable``) and ``operational``."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for rec in records:
        groups[(rec["item"]["use_case"], rec["model"])].append(rec)
    available = {metric: text.library_available(metric) for metric in text.LIBRARY_METRICS}
    results = []
    for (use_case, model), group in sorted(groups.items()):
        quality = _quality(use_case, group, available)
        unavailable = sorted(m for m in quality if m in text.LIBRARY_METRICS and not available[m])
        results.append({
            "use_case": use_case,
            "model": model,
            "items": len(group),
            "quality": quality,
            "unavailable": {m: f"{text.LIBRARY_METRICS[m]} is not installed in this runtime" for m in unavailable},
            "operational": summarize_outcomes([outcome_of(r["status"], r["body"], output_text(r["body"])) for r in group]),
        })
    return results
