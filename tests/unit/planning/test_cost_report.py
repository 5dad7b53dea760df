"""Monthly fixed cost of endpoints, with and without a scale-down schedule."""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

import pytest

from cdk.planning.compute_planner import PriceEntry, PriceTable, load_prices
from cdk.planning.cost_report import Schedule, ScheduleError, format_report, main, monthly_fixed_cost


def _prices() -> PriceTable:
    return PriceTable(
        as_of=date(2030, 1, 31),
        currency="USD",
        source="test",
        verified=True,
        regions=MappingProxyType(
            {
                "us-east-1": MappingProxyType(
                    {
                        "ml.inf2.xlarge": PriceEntry(1.0, True),
                        "ml.inf2.8xlarge": PriceEntry(2.0, False, "secondhand"),
                        "ml.trn2.48xlarge": PriceEntry(None, False, "no price found"),
                    }
                )
            }
        ),
    )


# --- schedule ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "days", "hours_per_week"),
    [
        ("weekdays 08:00-20:00", {0, 1, 2, 3, 4}, 60.0),
        ("daily 00:00-24:00", set(range(7)), 168.0),
        ("weekends 10:00-16:30", {5, 6}, 13.0),
        ("mon-sat 07:30-22:00", {0, 1, 2, 3, 4, 5}, 87.0),
        ("mon,wed,fri 09:00-17:00", {0, 2, 4}, 24.0),
        ("Daily 20:00-04:00", set(range(7)), 56.0),  # past midnight
    ],
)
def test_schedule_parse(spec, days, hours_per_week):
    schedule = Schedule.parse(spec)
    assert schedule.days == frozenset(days)
    assert schedule.hours_per_week == pytest.approx(hours_per_week)
    assert schedule.active_fraction == pytest.approx(hours_per_week / 168)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("weekdays", "malformed"),
        ("weekdays 8-20", "malformed"),
        ("someday 08:00-20:00", "unknown day"),
        ("fri-mon 08:00-20:00", "backwards"),
        ("weekdays 08:00-25:00", "not a time of day"),
        ("weekdays 08:61-20:00", "not a time of day"),
        ("weekdays 08:00-08:00", "empty"),
        ("mon-xyz 08:00-20:00", "unknown day range"),
    ],
)
def test_schedule_rejects(spec, fragment):
    with pytest.raises(ScheduleError, match=fragment):
        Schedule.parse(spec)


def test_schedule_rejects_negative_off_hours_count_and_bad_timezone():
    with pytest.raises(ScheduleError, match="off_hours_count"):
        Schedule.parse("weekdays 08:00-20:00", off_hours_count=-1)
    with pytest.raises(ScheduleError, match="timezone"):
        Schedule.parse("weekdays 08:00-20:00", timezone="not a zone")


def test_schedule_str_round_trips_the_readable_form():
    assert str(Schedule.parse("weekdays 08:00-20:00", off_hours_count=1, timezone="Europe/Madrid")) == (
        "weekdays 08:00-20:00 Europe/Madrid (else 1)"
    )
    assert str(Schedule.parse("mon-sat 07:30-22:00")).startswith("mon-sat 07:30-22:00")


# --- monthly cost -----------------------------------------------------------------------------------------------


def test_always_on_endpoint():
    row = monthly_fixed_cost("ml.inf2.xlarge", 2, "us-east-1", prices=_prices())
    assert row["instance_hours"] == pytest.approx(2 * 730)
    assert row["monthly_cost"] == pytest.approx(1460.0)
    assert row["prices_as_of"] == "2030-01-31"
    assert row["price_verified"] is True
    assert row["note"] == ""


def test_scheduled_endpoint_runs_min_count_outside_the_window():
    schedule = Schedule.parse("weekdays 08:00-20:00", off_hours_count=1)
    row = monthly_fixed_cost("ml.inf2.8xlarge", 2, "us-east-1", schedule=schedule, prices=_prices())
    peak = 730 * 60 / 168  # 260.71 h at 2 instances
    assert row["peak_hours"] == pytest.approx(peak)
    assert row["off_hours"] == pytest.approx(730 - peak)
    assert row["instance_hours"] == pytest.approx(2 * peak + (730 - peak))
    assert row["monthly_cost"] == pytest.approx(2.0 * (2 * peak + (730 - peak)))
    assert row["note"] == "price not verified"


def test_scale_to_zero_outside_the_window():
    schedule = Schedule.parse("weekdays 08:00-20:00", off_hours_count=0)
    row = monthly_fixed_cost("ml.inf2.xlarge", 1, "us-east-1", hours_per_month=720, schedule=schedule, prices=_prices())
    assert row["monthly_cost"] == pytest.approx(720 * 60 / 168)


def test_disabled_endpoint_costs_nothing():
    for row in (
        monthly_fixed_cost("ml.inf2.xlarge", 2, "us-east-1", enabled=False, prices=_prices()),
        monthly_fixed_cost("ml.inf2.xlarge", 0, "us-east-1", prices=_prices()),
    ):
        assert row["enabled"] is False
        assert row["monthly_cost"] == 0.0
        assert row["instance_hours"] == 0.0


def test_unknown_price_is_reported_not_guessed():
    row = monthly_fixed_cost("ml.trn2.48xlarge", 1, "us-east-1", prices=_prices())
    assert row["monthly_cost"] is None
    assert row["note"] == "no price found"
    row = monthly_fixed_cost("ml.g5.xlarge", 1, "us-east-1", prices=_prices())
    assert row["monthly_cost"] is None
    assert "no price for ml.g5.xlarge in us-east-1" in row["note"]


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        (("inf2.xlarge", 1, "us-east-1"), {}, "instance_type"),
        (("ml.inf2.xlarge", -1, "us-east-1"), {}, "count"),
        (("ml.inf2.xlarge", 1, "virginia"), {}, "region"),
        (("ml.inf2.xlarge", 1, "us-east-1"), {"hours_per_month": 0}, "hours_per_month"),
        (("ml.inf2.xlarge", 1, "us-east-1"), {"schedule": "weekdays 08:00-20:00"}, "Schedule.parse"),
        (("ml.inf2.xlarge", 1, "us-east-1"), {"schedule": Schedule.parse("daily 08:00-20:00", off_hours_count=2)}, "exceed"),
    ],
)
def test_monthly_fixed_cost_validation(args, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        monthly_fixed_cost(*args, prices=_prices(), **kwargs)


def test_shipped_prices_give_a_cost_for_inferentia2():
    row = monthly_fixed_cost("ml.inf2.xlarge", 1, "us-east-1")
    entry = load_prices().lookup("us-east-1", "ml.inf2.xlarge")
    assert row["monthly_cost"] == pytest.approx(730 * entry.usd_per_hour)


def test_format_report_totals_known_costs_and_flags_unverified_prices():
    prices = _prices()
    rows = [
        {"name": "dev", **monthly_fixed_cost("ml.inf2.xlarge", 1, "us-east-1", enabled=False, prices=prices)},
        {"name": "staging", **monthly_fixed_cost("ml.inf2.xlarge", 1, "us-east-1", prices=prices)},
        {"name": "prod", **monthly_fixed_cost("ml.inf2.8xlarge", 1, "us-east-1", prices=prices)},
        {"name": "big", **monthly_fixed_cost("ml.trn2.48xlarge", 1, "us-east-1", prices=prices)},
    ]
    text = format_report(rows)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["name", "instance", "count"]
    assert any(line.startswith("dev") and "1 (off)" in line for line in lines)
    assert any(line.startswith("prod") and "2.00*" in line and "1,460.00" in line for line in lines)
    assert "total: 2,190.00 USD per month (1 endpoint without a price left out)" in text
    assert "on-demand prices as of 2030-01-31; * = price not verified" in text


def test_format_report_of_nothing():
    assert format_report([]) == "no endpoints"


def test_cli_prints_a_report(capsys):
    assert main(["--name", "prod", "--instance", "ml.inf2.8xlarge", "--count", "2", "--schedule", "weekdays 08:00-20:00"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[2].startswith("prod")
    assert "weekdays 08:00-20:00 UTC (else 1)" in out
    assert "total:" in out


def test_cli_bad_schedule_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--instance", "ml.inf2.xlarge", "--schedule", "weekdays"])
    assert info.value.code == 2
    assert "expected '<days> HH:MM-HH:MM'" in capsys.readouterr().err
