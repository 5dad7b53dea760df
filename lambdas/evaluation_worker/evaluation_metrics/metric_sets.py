"""The per-use-case metric sets (``metric_sets.json``: data, in one place)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

QUALITY_METRICS = (
    "exact_match", "token_f1", "rouge_l", "chrf", "json_valid", "field_accuracy", "label_accuracy", "macro_f1",
    "idk_correct", "citation_precision",
)
ROUTES = ("/v1/generate", "/v1/chat")
EXPECTATIONS = ("references", "fields", "label")


@dataclass(frozen=True, slots=True)
class MetricSet:
    route: str
    expects: str
    metrics: tuple[str, ...]


def _load() -> MappingProxyType:
    raw = json.loads(Path(__file__).with_name("metric_sets.json").read_text(encoding="utf-8"))
    sets = {}
    for use_case, entry in raw["use_cases"].items():
        metric_set = MetricSet(route=entry["route"], expects=entry["expects"], metrics=tuple(entry["metrics"]))
        unknown = set(metric_set.metrics) - set(QUALITY_METRICS)
        if unknown or metric_set.route not in ROUTES or metric_set.expects not in EXPECTATIONS:
            raise ValueError(f"metric_sets.json: use_cases.{use_case} is invalid (unknown metrics {sorted(unknown)}, "
                             f"route in {ROUTES}, expects in {EXPECTATIONS})")
        sets[use_case] = metric_set
    return MappingProxyType(sets)


METRIC_SETS = _load()
