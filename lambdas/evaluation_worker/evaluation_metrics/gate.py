"""The release gate over a report: per-use-case thresholds, "no worse than the last accepted run by more
than ``max_regression``", and fail-closed rules (a threshold on a metric that could not be computed fails;
a required judge that did not complete fails).

:class:`GateSettings` is the contract between the configuration (``environments.<env>.evaluation.gate``
in cdk.json, read by cdk/config/evaluation.py) and every gate runner (the CLI, the state machine's
worker): the stack serializes it with :meth:`to_json`, runners parse it with :meth:`from_json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .metric_sets import METRIC_SETS, QUALITY_METRICS

#: Operational metrics a threshold may bound from above (the rest of a threshold map bounds from below).
MAX_BOUNDED = ("error_rate", "blocked_rate", "refusal_rate", "toxicity_flags", "pii_leaks", "latency_p95_ms")


@dataclass(frozen=True)
class GateSettings:
    #: use case -> metric -> minimum (quality metrics) or maximum (operational metrics in MAX_BOUNDED)
    thresholds: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    #: the largest drop of any quality metric against the last accepted run (absolute, in [0, 1])
    max_regression: float = 0.05
    #: whether the run must carry a completed judge job (the state machine's judge step)
    require_judge: bool = False

    def __post_init__(self) -> None:
        problems = list(self.problems())
        if problems:
            raise ValueError(problems[0])
        object.__setattr__(self, "thresholds", MappingProxyType({k: MappingProxyType(dict(v))
                                                                 for k, v in self.thresholds.items()}))

    def problems(self) -> list[str]:
        out = []
        if not 0 <= self.max_regression <= 1:
            out.append(f"max_regression: {self.max_regression} is out of range; allowed: [0, 1]")
        for use_case, bounds in self.thresholds.items():
            if use_case not in METRIC_SETS:
                out.append(f"thresholds.{use_case}: not a use case; allowed: {', '.join(METRIC_SETS)}")
                continue
            allowed = (*METRIC_SETS[use_case].metrics, *MAX_BOUNDED)
            for metric, value in bounds.items():
                if metric not in allowed:
                    out.append(f"thresholds.{use_case}.{metric}: not a metric of {use_case}; allowed: {', '.join(allowed)}")
                elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (
                        metric in QUALITY_METRICS and value > 1):
                    out.append(f"thresholds.{use_case}.{metric}: {value!r} is out of range; allowed: a number in "
                               + ("[0, 1]" if metric in QUALITY_METRICS else ">= 0"))
        return out

    def to_json(self) -> str:
        return json.dumps({"thresholds": {k: dict(v) for k, v in self.thresholds.items()},
                           "max_regression": self.max_regression, "require_judge": self.require_judge},
                          separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> GateSettings:
        data = json.loads(raw)
        return cls(thresholds=data.get("thresholds", {}), max_regression=data.get("max_regression", 0.05),
                   require_judge=bool(data.get("require_judge", False)))


@dataclass(frozen=True)
class GateResult:
    passed: bool
    failures: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "failures": list(self.failures)}


def _results(report: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(r["use_case"], r["model"]): r for r in report.get("results", ())}


def evaluate(report: Mapping[str, Any], settings: GateSettings,
             baseline: Mapping[str, Any] | None = None) -> GateResult:
    failures: list[str] = []
    if settings.require_judge and report.get("judge", {}).get("status") != "Completed":
        failures.append(f"judge: status {report.get('judge', {}).get('status')!r}, required 'Completed' (fails closed)")
    results = _results(report)
    for use_case, bounds in settings.thresholds.items():
        rows = [r for (uc, _), r in results.items() if uc == use_case]
        if not rows:
            failures.append(f"{use_case}: no results in the report, but the gate has thresholds for it (fails closed)")
        for row in rows:
            where = f"{use_case} x {row['model']}"
            for metric, bound in bounds.items():
                if metric in MAX_BOUNDED:
                    value = row["operational"].get(metric)
                    if value is None or value > bound:
                        failures.append(f"{where}: {metric} {value} > maximum {bound}")
                else:
                    value = row["quality"].get(metric)
                    if value is None:
                        failures.append(f"{where}: {metric} was not computed (fails closed)")
                    elif value < bound:
                        failures.append(f"{where}: {metric} {value:.3f} < threshold {bound}")
    if baseline is not None:
        accepted = _results(baseline)
        for key, row in results.items():
            before = accepted.get(key)
            if before is None:
                continue
            for metric, value in row["quality"].items():
                previous = before["quality"].get(metric)
                if value is not None and previous is not None and previous - value > settings.max_regression:
                    failures.append(f"{key[0]} x {key[1]}: {metric} {value:.3f} is {previous - value:.3f} below the last "
                                    f"accepted run ({previous:.3f}); allowed drop {settings.max_regression}")
    return GateResult(passed=not failures, failures=tuple(failures))
