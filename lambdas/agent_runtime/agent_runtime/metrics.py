"""Agent metrics as CloudWatch embedded metric format (EMF) lines on stdout, which the Runtime ships to its
CloudWatch log group; names come from the settings contract so the stack's dashboard and alarms match."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from . import settings_contract as contract
from .run_state import RunState


def emit_run(namespace: str, environment: str, state: RunState, *, latency_ms: float, limit: str | None,
             write: Callable[[str], None] = print) -> None:
    run_metrics = {
        contract.METRIC_RUNS: (1, "Count"),
        contract.METRIC_STEPS: (state.steps, "Count"),
        contract.METRIC_TOOL_CALLS: (len(state.tool_calls), "Count"),
        contract.METRIC_TOOL_FAILURES: (sum(1 for c in state.tool_calls if c.outcome != "ok"), "Count"),
        contract.METRIC_LATENCY: (latency_ms, "Milliseconds"),
        contract.METRIC_TOKENS: (state.input_tokens + state.output_tokens, "Count"),
        contract.METRIC_COST: (state.estimated_cost_usd, "None"),
        contract.METRIC_LIMIT_STOPS: (1 if limit else 0, "Count"),
    }
    write(_emf(namespace, {"Environment": environment}, run_metrics))
    per_tool: dict[str, list[int]] = {}
    for call in state.tool_calls:
        counts = per_tool.setdefault(call.tool, [0, 0])
        counts[0] += 1
        counts[1] += call.outcome != "ok"
    for tool, (calls, failures) in sorted(per_tool.items()):
        write(_emf(namespace, {"Environment": environment, contract.TOOL_DIMENSION: tool},
                   {contract.METRIC_TOOL_CALLS: (calls, "Count"), contract.METRIC_TOOL_FAILURES: (failures, "Count")}))


def _emf(namespace: str, dimensions: dict[str, str], values: dict[str, tuple[float, str]]) -> str:
    document = {
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [{
            "Namespace": namespace, "Dimensions": [sorted(dimensions)],
            "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in values.items()],
        }]},
        **dimensions,
        **{name: value for name, (value, _) in values.items()},
    }
    return json.dumps(document, separators=(",", ":"))
