"""Typed arguments of :class:`~cdk.components.cost_budget.CostBudget` (CDK-free, so config readers build them).

Limits checked against the AWS Budgets API model (botocore ``budgets`` service-2): a budget has at most 10
notifications (``NotificationWithSubscribersList`` max 10); a threshold is a percentage of the budgeted amount
(``NotificationThreshold`` 0 .. 1.5e13, "many customers find value being alerted between 50% - 200%").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_NOTIFICATIONS = 10
MAX_THRESHOLD_PERCENT = 1_000
ENVIRONMENT_TAG_KEY = "environment"  # the tag stacks/stage.py puts on every resource


class BudgetPropsError(ValueError):
    """A budget argument is invalid; ``field`` names it (the config reader prefixes its key path)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _thresholds(field: str, values: tuple[float, ...]) -> tuple[float, ...]:
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not 0 < value <= MAX_THRESHOLD_PERCENT:
            raise BudgetPropsError(field, f"{value!r} is not a percentage in (0, {MAX_THRESHOLD_PERCENT}]")
    if len(set(values)) != len(values):
        raise BudgetPropsError(field, f"{list(values)} repeats a threshold")
    return tuple(sorted(float(value) for value in values))


@dataclass(frozen=True)
class BudgetProps:
    """A monthly COST budget on the cost-allocation tag ``tag_key=tag_value``, notifying at percentages of
    ``monthly_usd``: forecasted spend (``forecast_thresholds_percent``) and actual spend
    (``actual_thresholds_percent``)."""

    monthly_usd: float
    tag_value: str
    forecast_thresholds_percent: tuple[float, ...] = (100.0,)
    actual_thresholds_percent: tuple[float, ...] = (80.0, 100.0)
    tag_key: str = ENVIRONMENT_TAG_KEY

    def __post_init__(self) -> None:
        usd = self.monthly_usd
        if isinstance(usd, bool) or not isinstance(usd, (int, float)) or not math.isfinite(usd) or usd <= 0:
            raise BudgetPropsError("monthly_usd", f"{usd!r} is not a positive amount in USD")
        object.__setattr__(self, "forecast_thresholds_percent",
                           _thresholds("forecast_thresholds_percent", tuple(self.forecast_thresholds_percent)))
        object.__setattr__(self, "actual_thresholds_percent",
                           _thresholds("actual_thresholds_percent", tuple(self.actual_thresholds_percent)))
        forecast, actual = len(self.forecast_thresholds_percent), len(self.actual_thresholds_percent)
        if not 1 <= forecast + actual <= MAX_NOTIFICATIONS:
            # The limit is on both lists together: name the one holding most of the notifications.
            raise BudgetPropsError("forecast_thresholds_percent" if forecast > actual else "actual_thresholds_percent",
                                   f"{forecast + actual} notifications in all (forecast_thresholds_percent + "
                                   f"actual_thresholds_percent); a budget allows 1 to {MAX_NOTIFICATIONS}")
        for name in ("tag_key", "tag_value"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or "$" in value or len(value) > 256:
                raise BudgetPropsError(name, f"{value!r} must be 1-256 characters without '$'")

    @property
    def cost_filter(self) -> str:
        """The Budgets ``TagKeyValue`` filter value for a user-defined cost-allocation tag: ``user:<key>$<value>``."""
        return f"user:{self.tag_key}${self.tag_value}"
