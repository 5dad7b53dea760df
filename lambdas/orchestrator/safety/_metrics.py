"""Metrics through an injected Powertools ``Metrics`` object (EMF), or nothing at all.

Each data point has its own dimension (entity type, reason, check), which one shared Powertools
metric set cannot hold, so each point is its own EMF document (what ``single_metric`` writes) in the
injected object's namespace, service and default dimensions. Powertools renders each document shape
once (``emf_shapes.py``); a point then only sets its timestamp and value: a generate request writes
five points (benchmarks/warm_overhead.py).
Values are counts and milliseconds: never text.
"""

from __future__ import annotations

import logging
import os
from typing import Any

logger = logging.getLogger(__name__)


class MetricsSink:
    """No-op unless a Powertools ``Metrics`` object is given."""

    def __init__(self, metrics: Any | None) -> None:
        self._metrics = metrics
        self._documents: Any = None
        self._units: dict[str, Any] = {}
        if metrics is not None:
            # Imported only when metrics are injected: the package itself needs only the stdlib.
            from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
            from emf_shapes import EmfShapes

            # No namespace of its own (set per point, see _emit); its service is Powertools' variable, the
            # fallback single_metric used too.
            document = EphemeralMetrics()
            self._service = document.service
            self._documents = EmfShapes(document)
            self._units = {"Count": MetricUnit.Count, "Milliseconds": MetricUnit.Milliseconds}

    @property
    def enabled(self) -> bool:
        return self._metrics is not None

    def _emit(self, name: str, value: float, unit: str, dimensions: dict[str, str]) -> None:
        if self._metrics is None:
            return
        defaults = dict(getattr(self._metrics, "default_dimensions", None) or {})
        service = getattr(self._metrics, "service", None)
        if service and "service" not in defaults:
            defaults["service"] = service
        namespace = getattr(self._metrics, "namespace", None)
        # The injected object's namespace (Powertools' variable when it has none), the service as a
        # dimension among the defaults, then the point's own: single_metric's document, field for field.
        if namespace is None:
            namespace = os.getenv("POWERTOOLS_METRICS_NAMESPACE")
        try:
            point = [(name, self._units[unit], value)]
            self._documents.emit(namespace, self._service, point, [*{**defaults, **dimensions}.items()])
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
