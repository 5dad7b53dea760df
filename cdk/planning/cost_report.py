"""Monthly fixed cost of SageMaker real-time endpoints, for the monthly cost report (a make target).

An endpoint bills every instance-hour it is up, whether traffic arrives or not. With a scale-down
:class:`Schedule` ("weekdays 08:00-20:00"), the endpoint runs ``count`` instances inside the window and
``off_hours_count`` (its minimum) outside it::

    from cdk.planning.cost_report import Schedule, format_report, monthly_fixed_cost

    business_hours = Schedule.parse("weekdays 08:00-20:00", off_hours_count=1)
    rows = [
        {"name": "dev", **monthly_fixed_cost("ml.inf2.xlarge", 1, "us-east-1", enabled=False)},
        {"name": "prod", **monthly_fixed_cost("ml.inf2.8xlarge", 2, "us-east-1", schedule=business_hours)},
    ]
    print(format_report(rows))

From a shell (what the make target runs until it reads the per-environment config)::

    python -m cdk.planning.cost_report --instance ml.inf2.8xlarge --count 2 --schedule "weekdays 08:00-20:00" \
        --min-count 1 [--region us-east-1] [--disabled]

Prices come from ``prices.json`` (dated; entries that could not be verified are flagged in the report). A type or
region without a price gives ``monthly_cost: None`` and a note instead of a guess.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from cdk.planning.compute_planner import PriceTable, load_prices, validate_region

__all__ = ["HOURS_PER_MONTH", "Schedule", "ScheduleError", "format_report", "main", "monthly_fixed_cost"]

HOURS_PER_MONTH = 730  # 8760 h / 12, the convention AWS pricing pages use
_HOURS_PER_WEEK = 7 * 24

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    "daily": frozenset(range(7)),
    "everyday": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}
_INSTANCE_TYPE_RE = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
_SCHEDULE_RE = re.compile(r"^\s*(?P<days>[A-Za-z,\-]+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$")


class ScheduleError(ValueError):
    """A scale-down schedule is malformed; the message shows the accepted form."""


_FORM = (
    "expected '<days> HH:MM-HH:MM' with days one of daily, weekdays, weekends, a range such as mon-fri "
    "or a list such as mon,wed,fri (e.g. 'weekdays 08:00-20:00')"
)


def _parse_time(text: str, spec: str) -> int:
    """'08:30' -> minutes after midnight; '24:00' is allowed as an end time."""
    hours, minutes = (int(part) for part in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ScheduleError(f"schedule {spec!r}: {text!r} is not a time of day; {_FORM}")
    return hours * 60 + minutes


def _parse_days(text: str, spec: str) -> frozenset[int]:
    text = text.lower()
    if text in _DAY_ALIASES:
        return _DAY_ALIASES[text]
    days: set[int] = set()
    for part in text.split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in _DAY_NAMES or last not in _DAY_NAMES:
                raise ScheduleError(f"schedule {spec!r}: unknown day range {part!r}; {_FORM}")
            start, stop = _DAY_NAMES.index(first), _DAY_NAMES.index(last)
            if stop < start:
                raise ScheduleError(f"schedule {spec!r}: day range {part!r} runs backwards; {_FORM}")
            days.update(range(start, stop + 1))
        elif part in _DAY_NAMES:
            days.add(_DAY_NAMES.index(part))
        else:
            raise ScheduleError(f"schedule {spec!r}: unknown day {part!r}; {_FORM}")
    return frozenset(days)


@dataclass(frozen=True)
class Schedule:
    """When an endpoint runs at full size; outside the window it runs ``off_hours_count`` instances.

    ``days`` are weekday numbers (0 = Monday .. 6 = Sunday) on which the window *starts*; ``start_minute`` and
    ``end_minute`` are minutes after midnight (``end_minute`` 1440 means 24:00). A window whose end is before its
    start runs past midnight ("daily 20:00-04:00"). Times are in ``timezone`` (an IANA name, UTC by default); the
    monthly cost does not depend on it, the scheduled scaling actions do.
    """

    days: frozenset[int]
    start_minute: int
    end_minute: int
    off_hours_count: int = 1
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if not self.days or not all(isinstance(day, int) and 0 <= day <= 6 for day in self.days):
            raise ScheduleError(f"schedule days must be a non-empty set of 0 (Monday) .. 6 (Sunday), got {self.days}")
        for name in ("start_minute", "end_minute"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1440:
                raise ScheduleError(f"schedule {name} must be minutes after midnight (0..1440), got {value!r}")
        if self.start_minute == self.end_minute or self.start_minute == 1440:
            raise ScheduleError(f"schedule window {self.window} is empty; use no schedule for an endpoint that is always up")
        count = self.off_hours_count
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ScheduleError(f"schedule off_hours_count must be an integer >= 0, got {count!r}")
        if not isinstance(self.timezone, str) or not re.fullmatch(r"[A-Za-z_]+(/[A-Za-z0-9_+\-]+)*", self.timezone):
            raise ScheduleError(f"schedule timezone must be an IANA name such as UTC or Europe/Madrid, got {self.timezone!r}")

    @classmethod
    def parse(cls, spec: str, *, off_hours_count: int = 1, timezone: str = "UTC") -> Schedule:
        """``"weekdays 08:00-20:00"``, ``"mon-sat 07:30-22:00"``, ``"mon,wed,fri 09:00-17:00"``, ``"daily 20:00-04:00"``."""
        if not isinstance(spec, str):
            raise ScheduleError(f"schedule must be a string, got {type(spec).__name__}; {_FORM}")
        match = _SCHEDULE_RE.match(spec)
        if not match:
            raise ScheduleError(f"schedule {spec!r} is malformed; {_FORM}")
        return cls(
            days=_parse_days(match["days"], spec),
            start_minute=_parse_time(match["start"], spec),
            end_minute=_parse_time(match["end"], spec),
            off_hours_count=off_hours_count,
            timezone=timezone,
        )

    @property
    def window(self) -> str:
        def fmt(minute: int) -> str:
            return f"{minute // 60:02d}:{minute % 60:02d}"

        return f"{fmt(self.start_minute)}-{fmt(self.end_minute)}"

    @property
    def start(self) -> time:
        return time(self.start_minute // 60, self.start_minute % 60)

    @property
    def hours_per_day(self) -> float:
        minutes = self.end_minute - self.start_minute
        return (minutes if minutes > 0 else minutes + 1440) / 60

    @property
    def hours_per_week(self) -> float:
        return len(self.days) * self.hours_per_day

    @property
    def active_fraction(self) -> float:
        """Share of the week the endpoint runs at full size."""
        return self.hours_per_week / _HOURS_PER_WEEK

    def __str__(self) -> str:
        days = sorted(self.days)
        named = next((alias for alias, value in _DAY_ALIASES.items() if value == self.days and alias != "everyday"), None)
        if named is None:
            contiguous = days == list(range(days[0], days[-1] + 1))
            named = (
                f"{_DAY_NAMES[days[0]]}-{_DAY_NAMES[days[-1]]}"
                if contiguous and len(days) > 1
                else ",".join(_DAY_NAMES[day] for day in days)
            )
        return f"{named} {self.window} {self.timezone} (else {self.off_hours_count})"


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return value


def monthly_fixed_cost(
    instance_type: str,
    count: int,
    region: str,
    hours_per_month: float = HOURS_PER_MONTH,
    schedule: Schedule | None = None,
    *,
    enabled: bool = True,
    prices: PriceTable | None = None,
) -> dict[str, Any]:
    """The fixed monthly cost of an endpoint of ``count`` x ``instance_type`` in ``region``.

    With ``schedule``, the endpoint runs ``count`` instances inside the window and ``schedule.off_hours_count``
    outside it; a disabled endpoint (``enabled=False`` or ``count == 0``) costs nothing. Returns a dict with the
    instance-hours, the price used (and whether it was verified, and its date) and ``monthly_cost`` (None when the
    price table has no price for the type in the region; ``note`` says so).
    """
    if not isinstance(instance_type, str) or not _INSTANCE_TYPE_RE.match(instance_type):
        raise ValueError(f"instance_type must be a SageMaker type such as ml.inf2.xlarge, got {instance_type!r}")
    count = _count(count, "count")
    region = validate_region(region)
    if (
        isinstance(hours_per_month, bool)
        or not isinstance(hours_per_month, (int, float))
        or not math.isfinite(hours_per_month)
        or not 0 < hours_per_month <= 744
    ):
        raise ValueError(f"hours_per_month must be a number in (0, 744], got {hours_per_month!r}")
    if schedule is not None and not isinstance(schedule, Schedule):
        raise ValueError(f"schedule must be a Schedule (use Schedule.parse('weekdays 08:00-20:00')), got {schedule!r}")
    if not isinstance(enabled, bool):
        raise ValueError(f"enabled must be true or false, got {enabled!r}")
    if schedule is not None and schedule.off_hours_count > count and enabled and count:
        raise ValueError(f"schedule off_hours_count ({schedule.off_hours_count}) must not exceed the endpoint count ({count})")

    running = enabled and count > 0
    peak_hours = hours_per_month * (schedule.active_fraction if schedule else 1.0)
    off_hours = hours_per_month - peak_hours
    off_count = schedule.off_hours_count if schedule else count
    instance_hours = (count * peak_hours + off_count * off_hours) if running else 0.0

    table = prices if prices is not None else load_prices()
    entry = table.lookup(region, instance_type)
    price = entry.usd_per_hour if entry else None
    notes = []
    if not running:
        notes.append("endpoint disabled")
    if price is None:
        notes.append(entry.note if entry and entry.note else f"no price for {instance_type} in {region}")
    elif not entry.verified:
        notes.append("price not verified")
    if not running:
        monthly_cost: float | None = 0.0
    else:
        monthly_cost = None if price is None else instance_hours * price

    return {
        "instance_type": instance_type,
        "count": count,
        "region": region,
        "enabled": running,
        "schedule": str(schedule) if schedule else None,
        "hours_per_month": float(hours_per_month),
        "peak_hours": peak_hours if running else 0.0,
        "off_hours": off_hours if running else 0.0,
        "instance_hours": instance_hours,
        "price_per_instance_hour": price,
        "price_verified": bool(entry and entry.verified),
        "prices_as_of": table.as_of.isoformat(),
        "currency": table.currency,
        "monthly_cost": monthly_cost,
        "note": "; ".join(notes),
    }


def _fmt_money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def format_report(rows: Iterable[Mapping[str, Any]]) -> str:
    """A plain-text table of ``monthly_fixed_cost`` results (each may carry a ``name``), with a total line.

    The total adds the rows with a known cost and says how many rows it leaves out; the footer gives the price
    date and flags unverified prices.
    """
    rows = list(rows)
    if not rows:
        return "no endpoints"
    header = ("name", "instance", "count", "schedule", "inst-h/month", "price/h", "monthly", "note")
    table = [header]
    for row in rows:
        price = row.get("price_per_instance_hour")
        table.append(
            (
                str(row.get("name", "-")),
                str(row["instance_type"]),
                str(row["count"]) if row.get("enabled", True) else f"{row['count']} (off)",
                str(row.get("schedule") or "always on"),
                f"{row['instance_hours']:,.1f}",
                "n/a" if price is None else f"{price:,.2f}" + ("" if row.get("price_verified") else "*"),
                _fmt_money(row.get("monthly_cost")),
                str(row.get("note", "")),
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    numeric = {2, 4, 5, 6}

    def render(line: tuple[str, ...]) -> str:
        cells = [cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(line)]
        return "  ".join(cells).rstrip()

    lines = [render(table[0]), render(tuple("-" * width for width in widths))]
    lines += [render(line) for line in table[1:]]

    known = [row["monthly_cost"] for row in rows if row.get("monthly_cost") is not None]
    missing = len(rows) - len(known)
    currencies = sorted({str(row.get("currency", "USD")) for row in rows})
    total = f"total: {sum(known):,.2f} {'/'.join(currencies)} per month"
    if missing:
        total += f" ({missing} endpoint{'s' if missing > 1 else ''} without a price left out)"
    lines += ["", total]
    dates = sorted({str(row.get("prices_as_of")) for row in rows if row.get("prices_as_of")})
    footer = f"on-demand prices as of {', '.join(dates)}" if dates else "on-demand prices"
    if any(row.get("price_per_instance_hour") is not None and not row.get("price_verified") for row in rows):
        footer += "; * = price not verified against the AWS price list"
    lines.append(footer)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """One endpoint's monthly fixed cost as a report; bad arguments exit 2 with the reason."""
    parser = argparse.ArgumentParser(
        prog="python -m cdk.planning.cost_report", description="Monthly fixed cost of a SageMaker endpoint."
    )
    parser.add_argument("--name", default="endpoint")
    parser.add_argument("--instance", required=True, help="endpoint instance type, e.g. ml.inf2.8xlarge")
    parser.add_argument("--count", type=int, default=1, help="instances while the endpoint is at full size")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--schedule", help="full-size window, e.g. 'weekdays 08:00-20:00' (default: always on)")
    parser.add_argument("--min-count", type=int, default=1, help="instances outside the schedule window")
    parser.add_argument("--timezone", default="UTC")
    parser.add_argument("--hours-per-month", type=float, default=HOURS_PER_MONTH)
    parser.add_argument("--disabled", action="store_true", help="the endpoint is not deployed")
    args = parser.parse_args(argv)
    try:
        schedule = (
            Schedule.parse(args.schedule, off_hours_count=args.min_count, timezone=args.timezone) if args.schedule else None
        )
        row = monthly_fixed_cost(
            args.instance, args.count, args.region, args.hours_per_month, schedule, enabled=not args.disabled
        )
    except ValueError as exc:
        parser.error(str(exc))
    print(format_report([{"name": args.name, **row}]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
