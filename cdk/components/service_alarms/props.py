"""Typed arguments of :class:`~cdk.components.service_alarms.ServiceAlarms` (CDK-free).

``cdk.config.observability`` builds :class:`ServiceAlarmThresholds` straight from ``observability.alarms``:
the defaults below are the only ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceAlarmThresholds:
    """Thresholds; counts are per ``period_minutes`` unless named otherwise."""

    period_minutes: int = 5
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 2
    # A rate alarm only judges a period with at least this many requests (1 failure in 2 is not an outage).
    rate_min_samples: int = 20
    api_5xx_rate_percent: float = 1.0
    lambda_error_count: int = 5
    lambda_throttle_count: int = 0
    bedrock_throttle_count: int = 10
    endpoint_5xx_count: int = 5
    endpoint_latency_p99_ms: int = 30_000
    guardrail_intervention_rate_percent: float = 25.0
    filter_error_count: int = 5
