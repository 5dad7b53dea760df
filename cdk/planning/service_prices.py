"""The dated, region-aware service price table (``service_prices.json``) the cost report reads.

Each price names its unit, its source and whether it was verified; a price missing for a region is ``None`` and the
report lists it as missing instead of borrowing another region's number. A ``"*"`` region entry applies everywhere.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

__all__ = ["DEFAULT_SERVICE_PRICES_PATH", "Price", "ServicePrices", "load_service_prices"]

DEFAULT_SERVICE_PRICES_PATH = Path(__file__).with_name("service_prices.json")


@dataclass(frozen=True)
class Price:
    """One price in one region; ``usd`` is None when no price is known there."""

    key: str
    region: str
    usd: float | None
    unit: str
    source: str
    verified: bool


@dataclass(frozen=True)
class ServicePrices:
    as_of: date
    currency: str
    entries: Mapping[str, Mapping[str, Mapping[str, object]]]
    units: Mapping[str, str]

    def price(self, key: str, region: str) -> Price:
        """The price of ``key`` in ``region`` (the region's own entry, else ``"*"``); KeyError for an unknown key."""
        regions = self.entries[key]
        entry = regions.get(region) or regions.get("*")
        if entry is None:
            return Price(key, region, None, self.units[key], f"no {key} price for {region} in the table", False)
        return Price(key, region, entry["usd"], self.units[key], str(entry["source"]), bool(entry["verified"]))


def _check(key: str, region: str, entry: object) -> Mapping[str, object]:
    where = f"service_prices.json prices.{key}.regions.{region}"
    if not isinstance(entry, dict) or set(entry) != {"usd", "verified", "source"}:
        raise ValueError(f"{where}: expected an object with usd, verified and source")
    usd = entry["usd"]
    if usd is not None and (isinstance(usd, bool) or not isinstance(usd, (int, float)) or not math.isfinite(usd)
                            or usd < 0):
        raise ValueError(f"{where}.usd: expected a number >= 0 or null, got {usd!r}")
    if not isinstance(entry["verified"], bool) or not isinstance(entry["source"], str) or not entry["source"]:
        raise ValueError(f"{where}: verified must be true/false and source a non-empty text")
    return MappingProxyType(dict(entry))


@lru_cache(maxsize=4)
def load_service_prices(path: Path = DEFAULT_SERVICE_PRICES_PATH) -> ServicePrices:
    raw = json.loads(Path(path).read_text())
    entries: dict[str, Mapping[str, Mapping[str, object]]] = {}
    units: dict[str, str] = {}
    for key, spec in raw["prices"].items():
        units[key] = str(spec["unit"])
        entries[key] = MappingProxyType({region: _check(key, region, entry) for region, entry in spec["regions"].items()})
    return ServicePrices(as_of=date.fromisoformat(raw["as_of"]), currency=raw["currency"],
                         entries=MappingProxyType(entries), units=MappingProxyType(units))
