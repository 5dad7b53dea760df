"""Lambda entry point for the genai-stack API (API Gateway REST proxy events).

Thin: settings, catalog and safety settings are parsed once here at cold start (a bad variable
fails the init with one clear log line); requests go to ``orchestrator.routes``.
"""

from __future__ import annotations

import gc
import os
from typing import Any

# The cold start allocates only long-lived objects (modules, classes, settings, the route table):
# the cyclic GC's collections during it find nothing to free but re-scan the whole growing heap.
# Pause it for the init, then move the init heap to the permanent generation (``gc.freeze``) so
# no later collection scans it again; the GC is re-enabled at the end of this module.
gc.disable()

from aws_lambda_powertools.logging import correlation_paths  # noqa: E402
from orchestrator import clients, routes  # noqa: E402
from orchestrator.catalog import CatalogError, load_catalog  # noqa: E402
from orchestrator.observability import configure, count_request, logger, metrics, tracer  # noqa: E402
from orchestrator.service import Service  # noqa: E402
from orchestrator.settings import Settings  # noqa: E402

try:
    SETTINGS = Settings.from_env(os.environ)
    CATALOG = load_catalog()
    from safety import SafetySettings

    SAFETY_SETTINGS = SafetySettings.from_env()  # SAFETY_CONFIG, GUARDRAIL_ID/VERSION: fail now, not per request
except (ValueError, CatalogError) as exc:
    logger.critical("invalid configuration; fix the variable named in 'reason'", extra={"reason": str(exc)})
    gc.enable()
    raise

configure(
    environment=SETTINGS.environment,
    log_level=SETTINGS.log_level,
    service=SETTINGS.service,
    namespace=SETTINGS.metrics_namespace,
)
clients.configure(model_read_timeout=SETTINGS.request_deadline_seconds)
routes.configure(Service(SETTINGS, CATALOG, output_screening_seconds=SAFETY_SETTINGS.timeout_seconds))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = routes.handle(event, context)
    count_request(int(response.get("statusCode", 500)))
    return response


if tracer() is not None:  # only inside Lambda with tracing on: the X-Ray SDK is costly to import
    handler = tracer().capture_lambda_handler(handler, capture_response=False, capture_error=False)

gc.freeze()
gc.enable()
