"""EMF documents of a repeating shape, rendered by Powertools once per shape.

A request writes about eight one-off EMF documents (safety filter latencies, the model call's two
documents). Building each through a Powertools metrics object (``add_metric`` validates the unit and
resolution per point, ``add_dimension`` per dimension, ``serialize_metric_set`` per document) cost
~30 us a document, a fifth of the orchestrator's own work in a warm generate
(benchmarks/warm_profile.py). A document's shape (namespace, service, dimensions in order, metric names
and units) repeats: Powertools renders each shape once, with its own validation, and every point then
only sets the timestamp and the values in a copy of that rendering, so the document is field for field
what Powertools writes (tests/unit/safety/test_safety_observability.py compares it with
``single_metric``'s). Dimension values are bounded sets here (check names, entity types, allow-listed
models, use cases), and the cache is capped anyway: past ``MAX_SHAPES`` a shape is rendered per point.

Stdlib only at import: the safety package imports this module only when a metrics object is injected.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from typing import Any

#: Distinct shapes kept (a shape is a few hundred bytes).
MAX_SHAPES = 512

Metric = tuple[str, Any, float]  # (name, Powertools MetricUnit, value)
#: What Powertools' flush writes (``json.dumps(..., separators=(",", ":"))``), with one encoder built once
#: (``json.dumps`` builds a new one per call when given any option).
_compact = json.JSONEncoder(separators=(",", ":")).encode


class EmfShapes:
    """Writes one EMF document per :meth:`emit` call, to stdout (where Powertools writes them).
    Thread-safe; ``document`` is the Powertools metrics object that renders new shapes (an
    ``EphemeralMetrics``, so no default dimensions of its own leak in)."""

    def __init__(self, document: Any) -> None:
        from aws_lambda_powertools.metrics.functions import is_metrics_disabled

        self._document = document
        self._shapes: dict[tuple, dict[str, Any]] = {}
        self._lock = threading.Lock()
        # Powertools' switch (POWERTOOLS_METRICS_DISABLED / POWERTOOLS_DEV), which its flush_metrics reads per
        # document (two variables, ~5% of the request's own work at eight documents): read once here, as a
        # Lambda's environment does not change while it runs.
        self._disabled = is_metrics_disabled()

    def emit(
        self, namespace: str | None, service: str | None, metrics: Sequence[Metric], dimensions: Sequence[tuple[str, str]]
    ) -> None:
        """One document: ``metrics`` (each name once, one value each) under ``dimensions`` (in order).
        Raises what Powertools raises for a shape it refuses (no namespace, a bad unit, too many dimensions)."""
        if self._disabled:
            return
        key = (namespace, service, tuple((name, unit) for name, unit, _ in metrics), tuple(dimensions))
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._render(namespace, service, metrics, dimensions)
            if len(self._shapes) < MAX_SHAPES:
                self._shapes[key] = shape
        document = dict(shape)
        document["_aws"] = {**shape["_aws"], "Timestamp": int(time.time() * 1000)}
        for name, _unit, value in metrics:
            document[name] = [float(value)]
        print(_compact(document))

    def _render(
        self, namespace: str | None, service: str | None, metrics: Sequence[Metric], dimensions: Sequence[tuple[str, str]]
    ) -> dict[str, Any]:
        with self._lock:
            document = self._document
            document.namespace, document.service = namespace, service
            try:
                for name, unit, value in metrics:
                    document.add_metric(name=name, unit=unit, value=value)
                for name, value in dimensions:
                    document.add_dimension(name=name, value=value)
                return document.serialize_metric_set()
            finally:
                document.clear_metrics()  # nothing of this shape is left for the next one
