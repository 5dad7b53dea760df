"""A compute plan as text, and the quantities the planner CLI reads (``7B``, ``1.4T``)."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cdk.planning.compute_planner import Plan

_SUFFIXES = {"K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}
_QUANTITY_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMbBgGtT]?)\s*$")


def parse_quantity(text: str) -> float:
    """``"7e9"``, ``"7B"``, ``"1.4T"``, ``"300b"`` -> a positive float. Raises ValueError otherwise."""
    match = _QUANTITY_RE.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"expected a number such as 7e9, 7B or 1.4T, got {text!r}")
    value = float(match.group(1)) * _SUFFIXES.get(match.group(2).upper(), 1.0)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"expected a positive number, got {text!r}")
    return value


def si(value: float) -> str:
    for suffix, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def duration(seconds: float) -> str:
    hours = seconds / 3600
    if hours < 48:
        return f"{hours:,.1f} h"
    return f"{hours:,.0f} h ({seconds / 86400:,.1f} days)"


def _money(amount: float | None, currency: str) -> str:
    if amount is None:
        return "n/a"
    return f"{amount:,.2f} {currency}" if amount < 1000 else f"{amount:,.0f} {currency}"


def format_plan(plan: Plan, *, other_counts: tuple[int, ...] = ()) -> str:
    """A readable table of ``plan`` (and its wall time on ``other_counts`` instances)."""
    price_state = "verified" if plan.price_verified else "UNVERIFIED"
    if plan.usd_per_instance_hour is None:
        price_line = f"n/a ({plan.price_note})"
    else:
        price_line = (
            f"{plan.usd_per_instance_hour:,.2f} {plan.currency}/instance-hour on demand in {plan.region} "
            f"(prices as of {plan.prices_as_of.isoformat()}, {price_state})"
        )
    rows = [
        ("parameters (N)", f"{si(plan.params)} ({plan.params:.3g})"),
        ("compute-optimal tokens (20 N)", f"{si(plan.optimal_tokens)} ({plan.optimal_tokens:.3g})"),
        ("training tokens (D)", f"{si(plan.tokens)} ({plan.tokens:.3g}, {plan.tokens_per_param:.1f} per parameter)"),
        ("verdict", f"{plan.verdict.description} [{plan.token_ratio:.2f}x optimal]"),
        ("training FLOPs (6 N D)", f"{plan.flops:.3e}"),
        (
            "instance",
            f"{plan.instance_type}, peak {plan.peak_flops_per_instance / 1e12:,.0f} dense BF16 TFLOPS, MFU {plan.mfu:.2f}",
        ),
        ("instance-hours", f"{plan.instance_hours:,.1f}"),
    ]
    for count in sorted({plan.instance_count, *other_counts}):
        label = f"wall time on {count} instance{'s' if count > 1 else ''}"
        if count == plan.instance_count:
            label += " (planned)"
        rows.append((label, duration(plan.wall_seconds_on(count))))
    rows += [
        ("on-demand price", price_line),
        ("cost (instance-hours x price)", _money(plan.cost, plan.currency)),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{label.ljust(width)}  {value}" for label, value in rows]
    lines.append("assumes linear scaling across instances at the given MFU; excludes storage, data transfer and compilation")
    return "\n".join(lines)
