"""The ``budget`` section: defaults, the environment's tag, and bad values that name the key path."""

from __future__ import annotations

import pytest

from cdk.components.cost_budget import BudgetProps
from cdk.config import ConfigError, load_app_config


def _budget(section):
    env = {"region": "eu-west-1", **({} if section is None else {"budget": section})}
    return load_app_config({"environments": {"dev": env}}).environment("dev").budget


def test_without_the_section_an_environment_gets_the_default_budget_on_its_own_tag():
    budget = _budget(None)
    assert budget == BudgetProps(monthly_usd=100, tag_value="dev")
    assert budget.cost_filter == "user:environment$dev"


def test_thresholds_are_read_sorted_and_enabled_false_deploys_none():
    budget = _budget({"monthly_usd": 42.5, "forecast_thresholds_percent": [110, 90], "actual_thresholds_percent": [100]})
    assert (budget.monthly_usd, budget.forecast_thresholds_percent, budget.actual_thresholds_percent) == (
        42.5, (90.0, 110.0), (100.0,))
    assert _budget({"enabled": False}) is None


@pytest.mark.parametrize("section, path, fragment", [
    ({"monthly_usd": 0}, "environments.dev.budget.monthly_usd", "out of range"),
    ({"forecast_thresholds_percent": [0]}, "environments.dev.budget.forecast_thresholds_percent", "percentage"),
    ({"actual_thresholds_percent": [80, 80]}, "environments.dev.budget.actual_thresholds_percent", "repeats"),
    ({"actual_thresholds_percent": "80"}, "environments.dev.budget.actual_thresholds_percent", "list of percentages"),
    ({"actual_thresholds_percent": list(range(1, 11))}, "environments.dev.budget.actual_thresholds_percent",
     "1 to 10"),
    ({"monthly": 5}, "environments.dev.budget.monthly", "unknown"),
])
def test_bad_values_name_the_key_path(section, path, fragment):
    with pytest.raises(ConfigError) as error:
        _budget(section)
    assert error.value.path == path and fragment in str(error.value)


@pytest.mark.parametrize("key", ["environment", "project"])
def test_a_tag_cannot_replace_the_tags_the_budget_and_the_cost_report_filter_on(key):
    """stacks/stage.py tags every resource environment=<name> and project=<project>, then adds ``tags``: a ``tags``
    entry with the same key replaced the value, so the budget's filter user:environment$<name> matched nothing."""
    with pytest.raises(ConfigError) as error:
        load_app_config({"environments": {"dev": {"region": "eu-west-1", "tags": {key: "shared"}}}})
    assert error.value.path == f"environments.dev.tags.{key}" and "set by the stage" in str(error.value)


@pytest.mark.parametrize("key, fragment", [("aws:owner", "reserved"), ("x" * 129, "1-128"), ("team#1", "characters")])
def test_a_tag_key_aws_would_refuse_at_deploy_fails_synth_naming_it(key, fragment):
    with pytest.raises(ConfigError) as error:
        load_app_config({"environments": {"dev": {"region": "eu-west-1", "tags": {key: "x"}}}})
    assert error.value.path == f"environments.dev.tags.{key}" and fragment in str(error.value)


def test_too_many_notifications_name_the_list_that_holds_most_of_them():
    """Nine forecast thresholds and the default two actual ones failed naming actual_thresholds_percent."""
    with pytest.raises(ConfigError) as error:
        _budget({"forecast_thresholds_percent": list(range(10, 100, 10))})
    assert error.value.path == "environments.dev.budget.forecast_thresholds_percent"
    assert "11 notifications" in str(error.value) and "actual_thresholds_percent" in str(error.value)
