"""Compute planner: the book's scaling laws turned into Trainium instance-hours, wall time and cost.

For a model of N parameters trained on D tokens:

- compute-optimal data (Chinchilla): D_opt = 20 * N tokens;
- training compute: C = 6 * N * D FLOPs (forward + backward);
- instance-hours = C / (peak BF16 FLOP/s of one instance * MFU) / 3600, where MFU (model FLOPs utilization) is
  the fraction of the peak a real run achieves (0.4 by default);
- wall time on k instances = instance-hours / k (the MFU is where communication overhead belongs);
- cost = instance-hours * on-demand price of the instance in the region, from the dated ``prices.json``.

The verdict compares D with D_opt the way the book's table does: within ``OPTIMAL_BAND`` (0.8x..1.25x) the run is
compute-optimal (Chinchilla 1.4T/1.4T, LLaMA-65B 1.4T/1.3T); below it the model is over-parameterized for its data,
i.e. under-trained (GPT-3, OPT-175B, BLOOM); above it the model is over-trained, "better than compute-optimal" in
the book's words (Llama 2 70B on 2T tokens).

``plan()`` validates its inputs and raises :class:`PlanError` (a ``ValueError``) with a message naming the bad
argument and the allowed values; ``check_max_runtime()`` returns a warning text (or ``None``) for the CDK side to
turn into a synth warning.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cdk.planning import instances
from cdk.planning.plan_text import duration, si

__all__ = [
    "CHINCHILLA_TOKENS_PER_PARAM",
    "DEFAULT_PRICES_PATH",
    "FLOPS_PER_PARAM_PER_TOKEN",
    "OPTIMAL_BAND",
    "SAGEMAKER_MAX_RUNTIME_SECONDS",
    "Plan",
    "PlanError",
    "PriceEntry",
    "PriceTable",
    "Verdict",
    "check_max_runtime",
    "classify",
    "compute_optimal_tokens",
    "load_prices",
    "plan",
    "training_flops",
    "validate_region",
]

CHINCHILLA_TOKENS_PER_PARAM = 20
FLOPS_PER_PARAM_PER_TOKEN = 6
# actual/optimal token ratio that still counts as compute-optimal (symmetric in log space: 1/1.25 = 0.8)
OPTIMAL_BAND = (0.8, 1.25)
# StoppingCondition.MaxRuntimeInSeconds: "The default value is 1 day. The maximum value is 28 days."
# (SageMaker service model, botocore 1.44.8)
SAGEMAKER_MAX_RUNTIME_SECONDS = 28 * 24 * 3600
DEFAULT_MFU = 0.4
DEFAULT_REGION = "us-east-1"
DEFAULT_PRICES_PATH = Path(__file__).with_name("prices.json")

_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


class PlanError(ValueError):
    """An argument of the planner is invalid; the message names it and what is allowed."""


# --------------------------------------------------------------------------------------------------------------
# Price table
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceEntry:
    """On-demand price of one instance type in one region; ``usd_per_hour`` is None when no price is known."""

    usd_per_hour: float | None
    verified: bool
    note: str = ""


@dataclass(frozen=True)
class PriceTable:
    """The dated price table of ``prices.json``."""

    as_of: date
    currency: str
    source: str
    verified: bool
    regions: Mapping[str, Mapping[str, PriceEntry]]

    def lookup(self, region: str, instance_type: str) -> PriceEntry | None:
        """The entry for ``instance_type`` in ``region``, or None when the table has none."""
        return self.regions.get(region, {}).get(instance_type)


def _price_entry(raw: Any, where: str, table_verified: bool) -> PriceEntry:
    if isinstance(raw, bool):
        raise ValueError(f"{where}: expected a number or an object, got a boolean")
    if isinstance(raw, (int, float)):
        raw = {"usd_per_hour": raw}
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a number or an object, got {type(raw).__name__}")
    price = raw.get("usd_per_hour")
    if price is not None and (
        isinstance(price, bool) or not isinstance(price, (int, float)) or not math.isfinite(price) or price <= 0
    ):
        raise ValueError(f"{where}.usd_per_hour: expected a positive number or null, got {price!r}")
    verified = raw.get("verified", table_verified)
    if not isinstance(verified, bool):
        raise ValueError(f"{where}.verified: expected true or false, got {verified!r}")
    return PriceEntry(None if price is None else float(price), verified, str(raw.get("note", "")))


def parse_price_table(raw: Any) -> PriceTable:
    """Validate the JSON document of a price table (see ``prices.json``)."""
    if not isinstance(raw, dict):
        raise ValueError("price table: expected a JSON object")
    try:
        as_of = date.fromisoformat(str(raw["as_of"]))
    except (KeyError, ValueError):
        raise ValueError("price table: 'as_of' must be a date in YYYY-MM-DD form") from None
    currency = raw.get("currency")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise ValueError(f"price table: 'currency' must be an ISO 4217 code such as USD, got {currency!r}")
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ValueError("price table: 'source' must say where the prices come from")
    table_verified = raw.get("verified", True)
    if not isinstance(table_verified, bool):
        raise ValueError("price table: 'verified' must be true or false")
    regions_raw = raw.get("regions")
    if not isinstance(regions_raw, dict) or not regions_raw:
        raise ValueError("price table: 'regions' must be a non-empty object of region -> instance type -> price")
    regions: dict[str, Mapping[str, PriceEntry]] = {}
    for region, types in regions_raw.items():
        if not _REGION_RE.match(region):
            raise ValueError(f"price table: regions.{region}: not an AWS region name")
        if not isinstance(types, dict):
            raise ValueError(f"price table: regions.{region}: expected an object of instance type -> price")
        regions[region] = MappingProxyType(
            {name: _price_entry(value, f"price table: regions.{region}.{name}", table_verified) for name, value in types.items()}
        )
    return PriceTable(as_of, currency, source, table_verified, MappingProxyType(regions))


@lru_cache(maxsize=8)
def _load_prices_cached(path: str) -> PriceTable:
    with open(path, encoding="utf-8") as handle:
        return parse_price_table(json.load(handle))


def load_prices(path: str | Path | None = None) -> PriceTable:
    """Load and validate a price table (default: ``cdk/planning/prices.json``)."""
    return _load_prices_cached(str(path or DEFAULT_PRICES_PATH))


# --------------------------------------------------------------------------------------------------------------
# Scaling laws
# --------------------------------------------------------------------------------------------------------------


class Verdict(StrEnum):
    """How the training tokens compare with the compute-optimal amount (the book's table)."""

    COMPUTE_OPTIMAL = "compute-optimal"
    UNDER_TRAINED = "under-trained"
    OVER_TRAINED = "over-trained"

    @property
    def description(self) -> str:
        return {
            Verdict.COMPUTE_OPTIMAL: "compute-optimal (about 20 tokens per parameter)",
            Verdict.UNDER_TRAINED: "under-trained: over-parameterized for its data (fewer tokens than optimal)",
            Verdict.OVER_TRAINED: "over-trained: more tokens than compute-optimal (the book: better than optimal)",
        }[self]


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise PlanError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def compute_optimal_tokens(params: float) -> float:
    """Chinchilla: about 20 training tokens per parameter."""
    return CHINCHILLA_TOKENS_PER_PARAM * _positive(params, "params")


def training_flops(params: float, tokens: float) -> float:
    """Training compute of a dense transformer: 6 * N * D FLOPs."""
    return FLOPS_PER_PARAM_PER_TOKEN * _positive(params, "params") * _positive(tokens, "tokens")


def classify(params: float, tokens: float) -> Verdict:
    """Compare ``tokens`` with the compute-optimal amount for ``params``."""
    ratio = _positive(tokens, "tokens") / compute_optimal_tokens(params)
    low, high = OPTIMAL_BAND
    if ratio < low:
        return Verdict.UNDER_TRAINED
    if ratio > high:
        return Verdict.OVER_TRAINED
    return Verdict.COMPUTE_OPTIMAL


# --------------------------------------------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A training run sized with the scaling laws on one Trainium instance type."""

    params: float
    tokens: float
    optimal_tokens: float
    verdict: Verdict
    flops: float
    instance_type: str
    instance_count: int
    peak_flops_per_instance: float
    mfu: float
    instance_hours: float
    wall_seconds: float
    region: str
    currency: str
    usd_per_instance_hour: float | None
    price_verified: bool
    cost: float | None
    prices_as_of: date
    price_note: str

    @property
    def tokens_per_param(self) -> float:
        return self.tokens / self.params

    @property
    def token_ratio(self) -> float:
        """Actual tokens over compute-optimal tokens."""
        return self.tokens / self.optimal_tokens

    @property
    def wall_hours(self) -> float:
        return self.wall_seconds / 3600

    @property
    def wall_days(self) -> float:
        return self.wall_seconds / 86400

    def wall_seconds_on(self, instance_count: int) -> float:
        """Wall time of the same run on another number of instances."""
        count = _instance_count(instance_count)
        return self.instance_hours * 3600 / count


def validate_region(region: Any) -> str:
    if not isinstance(region, str) or not _REGION_RE.match(region):
        raise PlanError(f"region must be an AWS region name such as us-east-1, got {region!r}")
    return region


def _instance_count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PlanError(f"instance_count must be an integer >= 1, got {value!r}")
    return value


def _mfu(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PlanError(f"mfu must be a number with 0 < mfu <= 1, got {value!r}")
    if not 0 < value <= 1:
        raise PlanError(f"mfu must satisfy 0 < mfu <= 1 (a fraction of peak, e.g. 0.4), got {value!r}")
    return float(value)


def plan(
    params: float,
    *,
    instance_type: str,
    instance_count: int,
    tokens: float | None = None,
    mfu: float = DEFAULT_MFU,
    region: str = DEFAULT_REGION,
    prices: PriceTable | None = None,
) -> Plan:
    """Size a training run of a ``params``-parameter model on ``instance_count`` Trainium instances.

    ``tokens`` defaults to the compute-optimal amount (20 per parameter). ``prices`` defaults to the table in
    ``prices.json``; when it has no price for the type in the region, ``cost`` is None and ``price_note`` says why.
    """
    n = _positive(params, "params")
    if instance_type not in instances.TRAINIUM_TRAINING_TYPES:
        raise PlanError(
            f"instance_type must be a Trainium training type, got {instance_type!r}; "
            f"allowed: {', '.join(sorted(instances.TRAINIUM_TRAINING_TYPES))}"
        )
    count = _instance_count(instance_count)
    utilization = _mfu(mfu)
    region = validate_region(region)
    optimal = compute_optimal_tokens(n)
    d = optimal if tokens is None else _positive(tokens, "tokens")

    spec = instances.get(instance_type)
    flops = training_flops(n, d)
    instance_seconds = flops / (spec.peak_bf16_flops * utilization)
    instance_hours = instance_seconds / 3600

    table = prices if prices is not None else load_prices()
    entry = table.lookup(region, instance_type)
    if entry is None:
        price, verified, note = None, False, f"no price for {instance_type} in {region} in the price table"
    else:
        price, verified, note = entry.usd_per_hour, entry.verified, entry.note
        if price is None:
            note = note or f"no price for {instance_type} in {region} in the price table"
    cost = None if price is None else instance_hours * price

    return Plan(
        params=n,
        tokens=d,
        optimal_tokens=optimal,
        verdict=classify(n, d),
        flops=flops,
        instance_type=instance_type,
        instance_count=count,
        peak_flops_per_instance=spec.peak_bf16_flops,
        mfu=utilization,
        instance_hours=instance_hours,
        wall_seconds=instance_seconds / count,
        region=region,
        currency=table.currency,
        usd_per_instance_hour=price,
        price_verified=verified,
        cost=cost,
        prices_as_of=table.as_of,
        price_note=note,
    )


def check_max_runtime(plan: Plan, max_runtime_seconds: int) -> str | None:
    """A warning when a training job's MaxRuntimeInSeconds is too short for the planned tokens, else None.

    Raises :class:`PlanError` when ``max_runtime_seconds`` is not what SageMaker accepts (1 s .. 28 days).
    """
    if (
        isinstance(max_runtime_seconds, bool)
        or not isinstance(max_runtime_seconds, int)
        or not 1 <= max_runtime_seconds <= SAGEMAKER_MAX_RUNTIME_SECONDS
    ):
        raise PlanError(
            f"max_runtime_seconds must be an integer from 1 to {SAGEMAKER_MAX_RUNTIME_SECONDS} (28 days, "
            f"SageMaker's limit), got {max_runtime_seconds!r}"
        )
    if plan.wall_seconds <= max_runtime_seconds:
        return None
    reached = max_runtime_seconds / plan.wall_seconds
    needed = math.ceil(plan.instance_hours * 3600 / max_runtime_seconds)
    advice = [f"use at least {needed} instances", "lower the tokens"]
    if max_runtime_seconds < SAGEMAKER_MAX_RUNTIME_SECONDS:
        advice.insert(0, "raise max runtime")
    return (
        f"max runtime {duration(max_runtime_seconds)} is shorter than the planned wall time "
        f"{duration(plan.wall_seconds)} for {si(plan.tokens)} tokens of a {si(plan.params)}-parameter model on "
        f"{plan.instance_count} x {plan.instance_type} at MFU {plan.mfu:.2f}: the job would stop after about "
        f"{reached:.0%} of the tokens; {', '.join(advice[:-1])} or {advice[-1]}"
    )
