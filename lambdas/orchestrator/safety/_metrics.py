"""Metrics through an injected Powertools ``Metrics`` object (EMF), or nothing at all.

Each data point has its own dimension (entity type, reason, check), which one shared Powertools
metric set cannot hold, so points are written with ``single_metric`` in the injected object's
namespace, service and default dimensions. Values are counts and milliseconds: never text.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


class MetricsSink:
    """No-op unless a Powertools ``Metrics`` object is given."""

    def __init__(self, metrics: Any | None) -> None:
        self._metrics = metrics
        self._single_metric = None
        self._units: dict[str, Any] = {}
        if metrics is not None:
            # Imported only when metrics are injected: the package itself needs only the stdlib.
            from aws_lambda_powertools.metrics import MetricUnit, single_metric

            self._single_metric = single_metric
            self._units = {"Count": MetricUnit.Count, "Milliseconds": MetricUnit.Milliseconds}

    @property
    def enabled(self) -> bool:
        return self._metrics is not None

    def _emit(self, name: str, value: float, unit: str, dimensions: dict[str, str]) -> None:
        if self._metrics is None:
            return
        try:
            defaults = dict(getattr(self._metrics, "default_dimensions", None) or {})
            service = getattr(self._metrics, "service", None)
            if service and "service" not in defaults:
                defaults["service"] = service
            with self._single_metric(
                name=name,
                unit=self._units[unit],
                value=value,
                namespace=getattr(self._metrics, "namespace", None),
                default_dimensions=defaults,
            ) as metric:
                for key, dim_value in dimensions.items():
                    metric.add_dimension(name=key, value=dim_value)
        except Exception as exc:  # noqa: BLE001 - metrics must never break screening
            logger.warning("safety metric not emitted", extra={"metric": name, "error_type": type(exc).__name__})

    def pii_masked(self, counts: dict[str, int]) -> None:
        for entity_type, count in sorted(counts.items()):
            self._emit("PiiEntitiesMasked", count, "Count", {"EntityType": entity_type})

    def blocked(self, reason: str) -> None:
        self._emit("SafetyBlocked", 1, "Count", {"Reason": reason})

    def guardrail_intervention(self, source: str) -> None:
        self._emit("GuardrailInterventions", 1, "Count", {"Source": source})

    def filter_error(self, check: str, kind: str) -> None:
        self._emit("FilterErrors", 1, "Count", {"Check": check, "ErrorKind": kind})

    def latency(self, check: str, milliseconds: float) -> None:
        self._emit("FilterLatency", round(milliseconds, 3), "Milliseconds", {"Check": check})
