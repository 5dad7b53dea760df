"""What every run reports besides quality: output safety flags, refusals, errors, latency, tokens, cost.

All of it is read from the orchestrator's own response (the API's contract): ``safety.output`` (the
safety package's analysis of the model's answer), ``usage``, ``latency_ms`` and ``estimated_cost_usd``
(the API prices each call with the model's configured per-1,000-token prices, the same prices
cdk/planning's usage-cost report uses). A 422 ``blocked_by_safety`` answer is a blocked request.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .text import normalize

#: Normalized openings of a refusal (the model declines the task), English and Spanish.
_REFUSALS = re.compile(
    r"^(i (cannot|can t|cant|won t|will not|am unable to|m unable to|am not able to) (help|assist|provide|do|comply|"
    r"answer|write|create|translate|summarize|classify)|sorry i (cannot|can t)|i m sorry but i (cannot|can t)|"
    r"lo siento pero no puedo|no puedo (ayudar|ayudarte|hacer|proporcionar|responder|cumplir))"
)


def refuses(output: str) -> bool:
    return bool(_REFUSALS.match(normalize(output)))


@dataclass(frozen=True, slots=True)
class Outcome:
    """One response as the operational metrics see it."""

    ok: bool
    blocked: bool
    toxicity_flag: bool
    pii_leak: bool
    refusal: bool
    latency_ms: float | None
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


def outcome_of(status: int, body: Mapping[str, Any], output: str) -> Outcome:
    output_safety = ((body.get("safety") or {}).get("output") or {}) if status == 200 else {}
    error = body.get("error") or {}
    blocked = status == 422 and error.get("code") == "blocked_by_safety"
    pii = output_safety.get("pii") or {}
    usage = body.get("usage") or {}
    cost = body.get("estimated_cost_usd")
    latency = body.get("latency_ms")
    return Outcome(
        ok=status == 200,
        blocked=blocked,
        # A toxic answer is either blocked (422) or flagged in the output analysis.
        toxicity_flag=bool((output_safety.get("toxicity") or {}).get("blocked")) or (blocked and "toxic" in str(error)),
        # The model produced personal data the output screening had to mask.
        pii_leak=int(pii.get("masked_count") or 0) > 0 or bool(pii.get("entities")),
        refusal=status == 200 and refuses(output),
        latency_ms=float(latency) if isinstance(latency, (int, float)) else None,
        input_tokens=int(usage.get("input_tokens") or 0),
        output_tokens=int(usage.get("output_tokens") or 0),
        cost_usd=float(cost) if isinstance(cost, (int, float)) else None,
    )


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least pct% of values at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


def summarize_outcomes(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    n = len(outcomes)
    if n == 0:
        return {"requests": 0}
    ok = [o for o in outcomes if o.ok]
    latencies = [o.latency_ms for o in ok if o.latency_ms is not None]
    costs = [o.cost_usd for o in ok if o.cost_usd is not None]
    return {
        "requests": n,
        "error_rate": sum(1 for o in outcomes if not o.ok and not o.blocked) / n,
        "blocked_rate": sum(1 for o in outcomes if o.blocked) / n,
        "toxicity_flags": sum(1 for o in outcomes if o.toxicity_flag),
        "pii_leaks": sum(1 for o in outcomes if o.pii_leak),
        "refusal_rate": sum(1 for o in outcomes if o.refusal) / n,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
        "input_tokens": sum(o.input_tokens for o in ok),
        "output_tokens": sum(o.output_tokens for o in ok),
        # Priced only when every successful call had a price (a SageMaker model has none in the API).
        "cost_per_1000_requests_usd": round(sum(costs) / len(costs) * 1000, 6) if ok and len(costs) == len(ok) else None,
    }
