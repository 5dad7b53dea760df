"""The compute planner against hand-computed cases and the book's scaling-law table (the oracle)."""

from __future__ import annotations

import math
import re
from datetime import date
from types import MappingProxyType

import pytest

from cdk.planning import compute_planner as cp
from cdk.planning import plan_text
from cdk.planning.compute_planner import PlanError, PriceEntry, PriceTable, Verdict


def _prices(usd: float | None = 10.0, *, verified: bool = True) -> PriceTable:
    entry = PriceEntry(usd, verified, "" if usd is not None else "no price known")
    return PriceTable(
        as_of=date(2030, 1, 31),
        currency="USD",
        source="test",
        verified=verified,
        regions=MappingProxyType({"us-east-1": MappingProxyType({"ml.trn1.32xlarge": entry})}),
    )


# --- scaling laws -----------------------------------------------------------------------------------------------


def test_compute_optimal_tokens_is_20_per_parameter():
    assert cp.compute_optimal_tokens(70e9) == pytest.approx(1.4e12)
    assert cp.compute_optimal_tokens(7e9) == pytest.approx(1.4e11)


def test_training_flops_is_6nd():
    assert cp.training_flops(70e9, 1.4e12) == pytest.approx(5.88e23)


# The book's table: model, params, optimal tokens (as printed), actual tokens, verdict.
BOOK_TABLE = [
    ("Chinchilla", 70e9, 1.4e12, 1.4e12, Verdict.COMPUTE_OPTIMAL),
    ("LLaMA-65B", 65e9, 1.3e12, 1.4e12, Verdict.COMPUTE_OPTIMAL),
    ("GPT-3", 175e9, 3.5e12, 300e9, Verdict.UNDER_TRAINED),
    ("OPT-175B", 175e9, 3.5e12, 180e9, Verdict.UNDER_TRAINED),
    ("BLOOM", 176e9, 3.5e12, 350e9, Verdict.UNDER_TRAINED),
    ("Llama2-70B", 70e9, 1.4e12, 2.0e12, Verdict.OVER_TRAINED),
]


@pytest.mark.parametrize(("model", "params", "book_optimal", "actual", "verdict"), BOOK_TABLE, ids=[r[0] for r in BOOK_TABLE])
def test_book_table_optimal_tokens(model, params, book_optimal, actual, verdict):
    # the book prints trillions with one decimal (BLOOM: 20 x 176B = 3.52T -> "3.5 T")
    assert round(cp.compute_optimal_tokens(params) / 1e12, 1) == pytest.approx(book_optimal / 1e12)


@pytest.mark.parametrize(("model", "params", "book_optimal", "actual", "verdict"), BOOK_TABLE, ids=[r[0] for r in BOOK_TABLE])
def test_book_table_verdicts(model, params, book_optimal, actual, verdict):
    assert cp.classify(params, actual) is verdict


def test_verdict_band_edges():
    n = 1e9  # optimal 20e9 tokens
    assert cp.classify(n, 16e9) is Verdict.COMPUTE_OPTIMAL
    assert cp.classify(n, 15.9e9) is Verdict.UNDER_TRAINED
    assert cp.classify(n, 25e9) is Verdict.COMPUTE_OPTIMAL
    assert cp.classify(n, 25.1e9) is Verdict.OVER_TRAINED


def test_verdict_descriptions_name_the_book_terms():
    assert "over-parameterized" in Verdict.UNDER_TRAINED.description
    assert "better than optimal" in Verdict.OVER_TRAINED.description


# --- plan: hand-computed --------------------------------------------------------------------------------------


def test_plan_hand_computed_instance_hours_wall_time_and_cost():
    # 6 * 1e9 * 9.12e10 = 5.472e20 FLOPs; trn1.32xlarge 3040 TFLOPS * 0.5 = 1.52e15 FLOP/s
    # -> 360,000 s = 100 instance-hours; on 4 instances 25 h; at 10 USD/h 1,000 USD.
    result = cp.plan(1e9, instance_type="ml.trn1.32xlarge", instance_count=4, tokens=9.12e10, mfu=0.5, prices=_prices(10.0))
    assert result.flops == pytest.approx(5.472e20)
    assert result.peak_flops_per_instance == pytest.approx(3.04e15)
    assert result.instance_hours == pytest.approx(100.0)
    assert result.wall_hours == pytest.approx(25.0)
    assert result.wall_seconds_on(1) == pytest.approx(360_000)
    assert result.wall_seconds_on(16) == pytest.approx(22_500)
    assert result.cost == pytest.approx(1000.0)
    assert result.prices_as_of == date(2030, 1, 31)
    assert result.currency == "USD"
    assert result.price_verified is True


def test_plan_70b_on_trn1_defaults_to_compute_optimal_tokens():
    result = cp.plan(70e9, instance_type="ml.trn1.32xlarge", instance_count=16, prices=_prices(10.0))
    assert result.tokens == pytest.approx(1.4e12)
    assert result.verdict is Verdict.COMPUTE_OPTIMAL
    assert result.flops == pytest.approx(5.88e23)
    expected_hours = 5.88e23 / (3.04e15 * 0.4) / 3600  # 134,320.2
    assert result.instance_hours == pytest.approx(expected_hours)
    assert result.wall_hours == pytest.approx(expected_hours / 16)
    assert result.cost == pytest.approx(expected_hours * 10.0)


def test_plan_with_token_override_reports_over_training():
    result = cp.plan(7e9, instance_type="ml.trn1.32xlarge", instance_count=1, tokens=2e12, prices=_prices())
    assert result.verdict is Verdict.OVER_TRAINED
    assert result.tokens_per_param == pytest.approx(2e12 / 7e9)


def test_plan_uses_the_shipped_price_table_and_its_date():
    table = cp.load_prices()
    result = cp.plan(7e9, instance_type="ml.trn1.32xlarge", instance_count=4)
    entry = table.lookup("us-east-1", "ml.trn1.32xlarge")
    assert result.prices_as_of == table.as_of
    assert result.usd_per_instance_hour == entry.usd_per_hour
    assert result.price_verified == entry.verified
    assert result.cost == pytest.approx(result.instance_hours * entry.usd_per_hour)


def test_plan_without_a_price_reports_no_cost():
    result = cp.plan(7e9, instance_type="ml.trn1.32xlarge", instance_count=1, prices=_prices(None))
    assert result.cost is None
    assert result.price_note == "no price known"
    other_region = cp.plan(7e9, instance_type="ml.trn1.32xlarge", instance_count=1, region="eu-west-1", prices=_prices())
    assert other_region.cost is None
    assert "eu-west-1" in other_region.price_note


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"mfu": 0}, "0 < mfu <= 1"),
        ({"mfu": 1.01}, "0 < mfu <= 1"),
        ({"mfu": math.nan}, "mfu"),
        ({"mfu": True}, "mfu"),
        ({"instance_count": 0}, "instance_count"),
        ({"instance_count": 2.0}, "instance_count"),
        ({"tokens": -1}, "tokens"),
        ({"region": "US-EAST-1"}, "region"),
        ({"instance_type": "ml.inf2.48xlarge"}, "allowed: ml.trn1.2xlarge, ml.trn1.32xlarge"),
        ({"instance_type": "ml.p5.48xlarge"}, "Trainium training type"),
    ],
)
def test_plan_rejects_bad_arguments(kwargs, fragment):
    arguments = {"instance_type": "ml.trn1.32xlarge", "instance_count": 1, **kwargs}
    with pytest.raises(PlanError, match=re.escape(fragment)):
        cp.plan(7e9, prices=_prices(), **arguments)


@pytest.mark.parametrize("params", [0, -7e9, math.inf, "7e9", None])
def test_plan_rejects_bad_params(params):
    with pytest.raises(PlanError, match="params"):
        cp.plan(params, instance_type="ml.trn1.32xlarge", instance_count=1, prices=_prices())


def test_mfu_of_exactly_one_is_allowed():
    result = cp.plan(1e9, instance_type="ml.trn1.32xlarge", instance_count=1, mfu=1, prices=_prices())
    assert result.mfu == 1.0


# --- max runtime ------------------------------------------------------------------------------------------------


def test_check_max_runtime_warns_when_too_short():
    result = cp.plan(1e9, instance_type="ml.trn1.32xlarge", instance_count=4, tokens=9.12e10, mfu=0.5, prices=_prices())
    # wall time is 25 h; one day is not enough
    warning = cp.check_max_runtime(result, 24 * 3600)
    assert warning is not None
    assert "96%" in warning  # 24 h of 25 h
    assert "at least 5 instances" in warning  # 100 instance-hours / 24 h -> 5
    assert "raise max runtime" in warning


def test_check_max_runtime_is_quiet_when_long_enough():
    result = cp.plan(1e9, instance_type="ml.trn1.32xlarge", instance_count=4, tokens=9.12e10, mfu=0.5, prices=_prices())
    assert cp.check_max_runtime(result, 25 * 3600) is None
    assert cp.check_max_runtime(result, 28 * 24 * 3600) is None


def test_check_max_runtime_at_sagemaker_limit_does_not_suggest_raising_it():
    result = cp.plan(70e9, instance_type="ml.trn1.32xlarge", instance_count=16, prices=_prices())
    warning = cp.check_max_runtime(result, cp.SAGEMAKER_MAX_RUNTIME_SECONDS)
    assert warning is not None
    assert "raise max runtime" not in warning
    assert "at least 200 instances" in warning


@pytest.mark.parametrize("seconds", [0, -1, 28 * 24 * 3600 + 1, 3600.0, True])
def test_check_max_runtime_rejects_values_sagemaker_rejects(seconds):
    result = cp.plan(1e9, instance_type="ml.trn1.32xlarge", instance_count=1, prices=_prices())
    with pytest.raises(PlanError, match="max_runtime_seconds"):
        cp.check_max_runtime(result, seconds)


# --- price table and formatting ---------------------------------------------------------------------------------


def test_shipped_price_table_is_dated_and_flags_unverified_entries():
    table = cp.load_prices()
    assert table.currency == "USD"
    assert table.as_of <= date.today()
    entries = table.regions["us-east-1"]
    for name, entry in entries.items():
        assert name.startswith("ml.")
        if not entry.verified:
            assert entry.note, f"{name}: an unverified price needs a note"


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({}, "as_of"),
        ({"as_of": "2026-13-01", "currency": "USD", "source": "x", "regions": {}}, "as_of"),
        ({"as_of": "2026-01-01", "currency": "usd", "source": "x", "regions": {}}, "currency"),
        ({"as_of": "2026-01-01", "currency": "USD", "source": "", "regions": {}}, "source"),
        ({"as_of": "2026-01-01", "currency": "USD", "source": "x", "regions": {}}, "regions"),
        ({"as_of": "2026-01-01", "currency": "USD", "source": "x", "regions": {"mars-1": {}}}, "region"),
        ({"as_of": "2026-01-01", "currency": "USD", "source": "x", "regions": {"us-east-1": {"ml.a.b": -2}}}, "positive"),
        ({"as_of": "2026-01-01", "currency": "USD", "source": "x", "regions": {"us-east-1": {"ml.a.b": "2"}}}, "number"),
    ],
)
def test_price_table_validation(document, fragment):
    with pytest.raises(ValueError, match=fragment):
        cp.parse_price_table(document)


def test_price_table_accepts_bare_numbers():
    table = cp.parse_price_table(
        {"as_of": "2026-01-01", "currency": "USD", "source": "x", "regions": {"us-west-2": {"ml.trn1.2xlarge": 1.5}}}
    )
    assert table.lookup("us-west-2", "ml.trn1.2xlarge") == PriceEntry(1.5, True, "")


def test_format_plan_shows_numbers_price_date_and_verification():
    result = cp.plan(
        1e9, instance_type="ml.trn1.32xlarge", instance_count=4, tokens=9.12e10, mfu=0.5, prices=_prices(10.0, verified=False)
    )
    text = plan_text.format_plan(result, other_counts=(1, 16))
    assert "5.472e+20" in text
    assert "100.0" in text  # instance-hours
    assert "wall time on 4 instances (planned)  25.0 h" in text
    assert "wall time on 16 instances" in text
    assert "1,000 USD" in text
    assert "2030-01-31" in text
    assert "UNVERIFIED" in text


@pytest.mark.parametrize(("text", "value"), [("7e9", 7e9), ("7B", 7e9), ("1.4T", 1.4e12), ("300b", 3e11), ("70", 70.0)])
def test_parse_quantity(text, value):
    assert plan_text.parse_quantity(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "7X", "-7e9", "0", "1e999"])
def test_parse_quantity_rejects(text):
    with pytest.raises(ValueError):
        plan_text.parse_quantity(text)
