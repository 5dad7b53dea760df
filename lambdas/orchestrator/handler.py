"""Lambda entry point for the genai-stack API (API Gateway REST proxy events).

The composition root: :func:`build_runtime` parses the settings contract once (a bad variable
fails the init with one clear log line), builds the AWS clients, the model backends, the safety
filter, the chat store and the grounding adapters (retrieval, contextual grounding check), hands
them to the service and binds the routes to it. Requests go to ``RUNTIME``; the module keeps
nothing else but what Powertools needs (logger, metrics, tracer).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The cold start allocates only long-lived objects (modules, classes, settings, the route table):
# the cyclic GC's collections during it find nothing to free but re-scan the whole growing heap.
# Pause it for the init, then move the init heap to the permanent generation (``gc.freeze``) so
# no later collection scans it again; the GC is re-enabled at the end of this module.
gc.disable()

from aws_lambda_powertools.event_handler import APIGatewayRestResolver  # noqa: E402
from aws_lambda_powertools.logging import correlation_paths  # noqa: E402
from orchestrator import observability, routes  # noqa: E402
from orchestrator.backends import ModelBackends  # noqa: E402
from orchestrator.catalog import CatalogError, load_catalog  # noqa: E402
from orchestrator.chat_store import ChatStore  # noqa: E402
from orchestrator.clients import AUX_READ_TIMEOUT_SECONDS, AwsClients  # noqa: E402
from orchestrator.grounding import ContextualGroundingCheck, Grounding  # noqa: E402
from orchestrator.observability import count_request, logger, metrics, tracer  # noqa: E402
from orchestrator.retrieval import Retriever  # noqa: E402
from orchestrator.safety_gate import SafetyGate  # noqa: E402
from orchestrator.service import Service  # noqa: E402
from orchestrator.settings import SETTINGS_PARAMETER_VARIABLE, ConfigError, Settings, with_parameter  # noqa: E402
from orchestrator.stream_settings import StreamSettings  # noqa: E402


@dataclass(frozen=True, slots=True)
class Runtime:
    service: Service
    app: APIGatewayRestResolver
    clients: AwsClients
    agent: Any = None  # AgentService where AGENT_RUNTIME_ARN is set (POST /v1/agent), else None

    def handle(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        return routes.handle(self.app, event, context)


def build_runtime(environ: Mapping[str, str], *, clients: AwsClients | None = None, safety_filter: Any = None) -> Runtime:
    """Everything a request needs, built once. ``clients`` and ``safety_filter`` replace the real
    ones (tests, benchmarks); the real filter uses the ``comprehend`` and ``bedrock-runtime`` clients.
    Where ``SETTINGS_PARAMETER`` is set, its variables are read first (``orchestrator.settings``: the bulky JSON
    settings live in an SSM parameter, not in Lambda's 4 KB environment), on the same botocore session."""
    session = None
    if clients is None and environ.get(SETTINGS_PARAMETER_VARIABLE):
        import botocore.session

        session = botocore.session.get_session()
    environ = with_parameter(environ, lambda name: read_parameter(
        clients or AwsClients(model_read_timeout=AUX_READ_TIMEOUT_SECONDS, session=session), name))
    settings = Settings.from_environment(environ)
    catalog = load_catalog()
    observability.configure(
        environment=settings.environment,
        log_level=settings.log_level,
        service=settings.service,
        namespace=settings.metrics_namespace,
    )
    clients = clients or AwsClients(model_read_timeout=settings.request_deadline_seconds, session=session)
    if safety_filter is None:
        from safety import SafetyFilter

        safety_filter = SafetyFilter(
            settings.safety,
            comprehend=clients.client("comprehend"),
            bedrock_runtime=clients.client("bedrock-runtime"),
            metrics=metrics,
        )
    safety = SafetyGate(safety_filter)
    # Grounded answers: the bedrock-agent-runtime client is created by AwsClients on the first
    # grounded request, so an ungrounded request (and the cold start) never pays for it.
    grounding = Grounding(
        Retriever(clients),
        ContextualGroundingCheck(clients, guardrail_arn=settings.guardrail_arn, guardrail_version=settings.guardrail_version),
        safety,
    )
    service = Service(
        settings,
        catalog,
        backends=ModelBackends(clients, settings),
        safety=safety,
        store=ChatStore(settings.conversation_table or "", settings.conversation_ttl_seconds, clients),
        grounding=grounding,
    )
    stream_settings = StreamSettings.from_environment(environ)
    agent = None
    if settings.agent_runtime_arn:
        from orchestrator.agent_client import AgentClient
        from orchestrator.agent_service import AgentService

        agent = AgentService(service, AgentClient(clients, settings.agent_runtime_arn))
    app = routes.create_app(service, stream_settings, agent=agent)
    return Runtime(service=service, app=app, clients=clients, agent=agent)


def read_parameter(clients: AwsClients, name: str) -> str:
    """The settings parameter's value (ssm GetParameter, once per cold start, botocore's standard retries). A read
    that fails fails the init, naming the variable and the AWS error code (never an AWS message)."""
    from aws_errors import error_code

    try:
        return str(clients.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])
    except Exception as exc:  # noqa: BLE001 - any failure: the function cannot start without its settings
        reason = error_code(exc) or type(exc).__name__
        raise ConfigError(SETTINGS_PARAMETER_VARIABLE, f"the parameter could not be read ({reason})") from None


try:
    RUNTIME = build_runtime(os.environ)
except (ValueError, CatalogError) as exc:
    logger.critical("invalid configuration; fix the variable named in 'reason'", extra={"reason": str(exc)})
    gc.enable()
    raise


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response = RUNTIME.handle(event, context)
    count_request(int(response.get("statusCode", 500)))
    return response


if tracer() is not None:  # only inside Lambda with tracing on: the X-Ray SDK is costly to import
    handler = tracer().capture_lambda_handler(handler, capture_response=False, capture_error=False)

# Lambda SnapStart: Lambda's Python managed runtimes ship snapshot_restore_py (its runtime hooks; "Lambda
# SnapStart runtime hooks for Python" in the Lambda developer guide). Before the snapshot, run each AWS operation
# of a generate request once, answered in-process (orchestrator/priming.py), so restored environments skip that
# first-call work. Absent outside Lambda (tests, benchmarks): nothing is registered.
try:
    from snapshot_restore_py import register_before_snapshot
except ImportError:
    pass
else:
    from orchestrator.priming import prime

    register_before_snapshot(prime, RUNTIME.clients)

gc.freeze()
gc.enable()
