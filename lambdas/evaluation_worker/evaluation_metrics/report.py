"""The evaluation report: JSON (the record of a run, the gate's input) and Markdown (one table per use
case, one row per model)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .metric_sets import METRIC_SETS
from .scoring import score

SCHEMA_VERSION = 1
SOURCES = {
    "stub": "outputs come from stubs (the local handler with the project's AWS fakes): a plumbing check, not model quality",
    "api": "outputs come from the deployed API",
    "lambda": "outputs come from the deployed orchestrator function (invoked by the evaluation state machine)",
}
_OPERATIONAL_COLUMNS = (
    ("errors", "error_rate", "pct"), ("blocked", "blocked_rate", "pct"), ("toxicity flags", "toxicity_flags", "int"),
    ("PII leaks", "pii_leaks", "int"), ("refusals", "refusal_rate", "pct"), ("p50 ms", "latency_p50_ms", "int"),
    ("p95 ms", "latency_p95_ms", "int"), ("tokens in/out", None, "tokens"),
    ("USD / 1k req", "cost_per_1000_requests_usd", "usd"),
)


def build(records: Iterable[Mapping[str, Any]], *, run_id: str, created_at: str, source: str,
          environment: str, datasets: Sequence[str], judge: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {sorted(SOURCES)}")
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {"id": run_id, "created_at": created_at, "environment": environment, "source": source,
                "note": SOURCES[source], "datasets": list(datasets)},
        "results": score(records),
        "judge": dict(judge or {"status": "not_requested"}),
    }


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "int":
        return f"{value:.0f}"
    if kind == "usd":
        return f"{value:.4f}"
    return f"{value:.3f}"


def markdown(report: Mapping[str, Any]) -> str:
    run = report["run"]
    lines = [f"# Evaluation report `{run['id']}`", "",
             f"Environment `{run['environment']}`, {run['created_at']}. **{run['note']}.**", "",
             f"Datasets: {', '.join(run['datasets']) or '-'}. Judge: {report['judge'].get('status')}.", ""]
    by_use_case: dict[str, list[Mapping[str, Any]]] = {}
    for result in report["results"]:
        by_use_case.setdefault(result["use_case"], []).append(result)
    for use_case, results in by_use_case.items():
        metrics = list(METRIC_SETS[use_case].metrics)
        header = ["model", "items", *metrics, *(name for name, _, _ in _OPERATIONAL_COLUMNS)]
        lines += [f"## {use_case}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for result in results:
            ops = result["operational"]
            row = [f"`{result['model']}`", str(result["items"]), *(_cell(result["quality"].get(m), "score") for m in metrics)]
            for _, key, kind in _OPERATIONAL_COLUMNS:
                row.append(f"{ops.get('input_tokens', 0)}/{ops.get('output_tokens', 0)}" if kind == "tokens"
                           else _cell(ops.get(key), kind))
            lines.append("| " + " | ".join(row) + " |")
        unavailable = {m: why for r in results for m, why in r["unavailable"].items()}
        for metric, why in sorted(unavailable.items()):
            lines.append(f"\n{metric}: n/a ({why}).")
        lines.append("")
    return "\n".join(lines)
