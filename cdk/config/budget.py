"""The ``budget`` section: a monthly AWS Budget on the environment's cost-allocation tag.

    "budget": {"monthly_usd": 500, "forecast_thresholds_percent": [100], "actual_thresholds_percent": [80, 100]}

``"budget": {"enabled": false}`` deploys none. Bounds live in :mod:`cdk.components.cost_budget.props`; a bad value
fails with the key path (``environments.<env>.budget.<key>``).
"""

from __future__ import annotations

from cdk.components.cost_budget.props import BudgetProps, BudgetPropsError
from cdk.config.fields import ConfigError, Section

DEFAULTS = BudgetProps(monthly_usd=100, tag_value="default")


def _percentages(section: Section, key: str, default: tuple[float, ...]) -> tuple[float, ...]:
    raw = section.raw(key, list(default))
    path = section.child_path(key)
    if not isinstance(raw, list) or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in raw):
        raise ConfigError(path, f"expected a list of percentages such as [80, 100], got {raw!r}")
    return tuple(float(v) for v in raw)


def parse_budget(section: Section, *, environment: str) -> BudgetProps | None:
    """Parse ``environments.<name>.budget``; None when ``enabled`` is false."""
    enabled = section.boolean("enabled", True)
    try:
        props = BudgetProps(
            monthly_usd=section.number("monthly_usd", DEFAULTS.monthly_usd, minimum=0, exclusive_minimum=True,
                                       maximum=10**9),
            tag_value=environment,
            forecast_thresholds_percent=_percentages(section, "forecast_thresholds_percent",
                                                     DEFAULTS.forecast_thresholds_percent),
            actual_thresholds_percent=_percentages(section, "actual_thresholds_percent",
                                                   DEFAULTS.actual_thresholds_percent),
        )
    except BudgetPropsError as error:
        raise ConfigError(section.child_path(error.field), error.message) from None
    section.finish()
    return props if enabled else None
