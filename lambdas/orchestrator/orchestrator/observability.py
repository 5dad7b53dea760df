"""Powertools Logger, Metrics and Tracer for the orchestrator.

* Logger: JSON, correlation id = the API Gateway request id (set in handler.py). Only types,
  counts, lengths, ids and timings are logged, never prompt, response or PII text; botocore and
  urllib3 are held at WARNING so their DEBUG request dumps (which contain bodies) never print.
* Metrics (EMF): ``Requests`` by ``status_class`` on the shared ``Metrics`` object; per model
  call one EMF document with dimensions ``environment``/``model``/``use_case`` holding
  ``InputTokens``, ``OutputTokens``, ``ModelLatency`` (ms) and ``EstimatedCost`` (USD), and one
  with dimension ``environment`` alone holding ``Tokens`` (input + output) for the daily budget alarm.
* Tracer (X-Ray): created only where tracing can work (in Lambda, not disabled by
  ``POWERTOOLS_TRACE_DISABLED``), because importing the X-Ray SDK costs ~100 ms of cold start.
  Responses are never captured into trace metadata.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from emf_shapes import EmfShapes

for _name in ("botocore", "boto3", "urllib3", "aws_xray_sdk"):
    logging.getLogger(_name).setLevel(logging.WARNING)

logger = Logger()
metrics = Metrics()


def configure(*, environment: str, log_level: str, service: str, namespace: str) -> None:
    """Apply the parsed settings to the Powertools logger and metrics (Powertools also reads the
    same variables at import)."""
    logger.setLevel(log_level)
    logger.append_keys(service=service)
    metrics.namespace = namespace
    metrics.service = service
    metrics.set_default_dimensions(environment=environment)


def tracing_enabled(environ: Any = os.environ) -> bool:
    """Powertools' own rule: tracing runs only inside Lambda (not SAM local) unless disabled."""
    if (environ.get("POWERTOOLS_TRACE_DISABLED") or "").lower() in ("1", "true", "yes", "on"):
        return False
    return bool(environ.get("LAMBDA_TASK_ROOT")) and not environ.get("AWS_SAM_LOCAL")


@functools.cache
def tracer() -> Any:
    """The Powertools Tracer, or None where tracing is off (nothing X-Ray is imported then).
    Decided once per process: the environment does not change."""
    if not tracing_enabled():
        return None
    from aws_lambda_powertools import Tracer

    return Tracer()


@contextmanager
def subsegment(name: str, **annotations: Any) -> Iterator[None]:
    active = tracer()
    if active is None:
        yield
        return
    with active.provider.in_subsegment(name) as segment:
        for key, value in annotations.items():
            segment.put_annotation(key, value)
        yield


def propagate_trace(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` in a worker thread under the caller's X-Ray segment (thread-local otherwise)."""
    if tracer() is None:
        return fn
    from aws_xray_sdk.core import xray_recorder

    entity = xray_recorder.get_trace_entity()

    def run(*args: Any, **kwargs: Any) -> Any:
        xray_recorder.set_trace_entity(entity)
        try:
            return fn(*args, **kwargs)
        finally:
            xray_recorder.clear_trace_entities()

    return run


def count_request(status: int) -> None:
    metrics.add_dimension(name="status_class", value=f"{status // 100}xx")
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)


#: The model call's documents: Powertools renders each shape once (emf_shapes.py), a call sets the values.
_MODEL_CALL_DOCUMENTS = EmfShapes(EphemeralMetrics())


def record_model_call(
    *, environment: str, model: str, use_case: str, input_tokens: int, output_tokens: int, latency_ms: float, cost_usd: float
) -> None:
    """One EMF document per model/use-case pair (its own dimensions, written at once)."""
    namespace, service = metrics.namespace, metrics.service
    _MODEL_CALL_DOCUMENTS.emit(
        namespace,
        service,
        [
            ("InputTokens", MetricUnit.Count, input_tokens),
            ("OutputTokens", MetricUnit.Count, output_tokens),
            ("ModelLatency", MetricUnit.Milliseconds, latency_ms),
            ("EstimatedCost", MetricUnit.NoUnit, cost_usd),
        ],
        [("environment", environment), ("model", model), ("use_case", use_case)],
    )
    # The daily token budget alarm needs one series per environment: a CloudWatch alarm cannot sum
    # an open set of model/use-case series over a day (metric math SEARCH is not allowed in alarms).
    _MODEL_CALL_DOCUMENTS.emit(
        namespace, service, [("Tokens", MetricUnit.Count, input_tokens + output_tokens)], [("environment", environment)]
    )
