"""HTTP layer: a Powertools ``APIGatewayRestResolver`` whose routes call one
:class:`~orchestrator.service.Service` (:func:`create_app`, called once by ``handler.py``).

Every response is JSON; every error is ``{"error": {"code", "message", "field"?}, "request_id"}``.
A known path with another method is a 405 with ``Allow``; an unknown path a 404; anything
unexpected a 500 ``internal_error`` logged with the exception type only (never a trace, never
text).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from . import api_schema
from .conversations import Conversations
from .errors import ApiError, Forbidden, MethodNotAllowed, NotFound
from .observability import logger
from .owner import owner_of
from .service import RequestContext, Service
from .validation import parse_json_body

JSON = "application/json"
#: Path -> methods, from schemas/routes.json (the one route table; 404 and 405 answers use it). Routes that
#: require a feature (the agent routes: ``agents``) are answered only where it is on (``create_app``).
ROUTES: dict[str, tuple[str, ...]] = api_schema.allowed_methods()
#: POST route -> the Service method that answers it (``method(body, request_context)``).
POST_OPERATIONS = {
    "/v1/generate": "generate",
    "/v1/chat": "chat",
    "/v1/compare": "compare",
    "/v1/moderate": "moderate",
    "/v1/prompt/preview": "preview",
}
#: Streamed routes. In AWS the streaming function answers them (API Gateway streams its response);
#: here they answer the same events in one ``text/event-stream`` body, within the buffered deadline.
STREAM_OPERATIONS = {"/v1/generate/stream": "generate", "/v1/chat/stream": "chat"}
#: The agent routes (agent_service.py), where agents are on.
AGENT_PATH, AGENT_STREAM_PATH = "/v1/agent", "/v1/agent/stream"

# --------------------------------------------------------------------------- helpers
def route_for(table: Mapping[str, tuple[str, ...]], path: str) -> tuple[str, tuple[str, ...]] | None:
    """The route table's path (``/v1/conversations/{conversation_id}`` for a templated one) and methods of
    ``path``: the 405 answer's message and ``Allow``, which name the table's path, never the caller's."""
    if path in table:
        return path, table[path]
    for template, methods in table.items():
        if "{" in template and re.fullmatch(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)), path):
            return template, methods
    return None


def request_id_of(event: Mapping[str, Any], context: Any) -> str:
    request_context = event.get("requestContext") or {}
    return str(request_context.get("requestId") or getattr(context, "aws_request_id", None) or uuid.uuid4())


#: One encoder for every response (``json.dumps`` builds a new one per call when given options).
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def error_body(exc: ApiError, request_id: str) -> dict[str, Any]:
    return {"error": exc.body(), "request_id": request_id}


def error_proxy_response(exc: ApiError, request_id: str) -> dict[str, Any]:
    """An API Gateway proxy response for errors raised outside the resolver."""
    return {
        "statusCode": exc.status,
        "headers": {"Content-Type": JSON, **exc.headers()},
        "body": _dumps(error_body(exc, request_id)),
        "isBase64Encoded": False,
    }


def _ok(body: Mapping[str, Any]) -> Response:
    return Response(status_code=200, content_type=JSON, body=_dumps(body))


def create_app(service: Service, stream_settings: Any = None, agent: Any = None) -> APIGatewayRestResolver:
    """The resolver with every route and error handler bound to ``service`` (and ``agent``, the
    AgentService where agents are on); the streamed routes' code is imported on their first request
    (the cold start does not load it)."""
    app = APIGatewayRestResolver()
    streams: list[Any] = []
    table = api_schema.allowed_methods(frozenset({"agents"}) if agent is not None else frozenset())


    def context() -> RequestContext:
        event = app.current_event
        return RequestContext(
            request_id=request_id_of(event.raw_event, app.lambda_context),
            caller=owner_of(event.raw_event.get("requestContext") or {}) or "",
            deadline=service.deadline(app.lambda_context),
        )

    def body() -> dict[str, Any]:
        event = app.current_event
        return parse_json_body(event.body, bool(event.is_base64_encoded), service.settings)

    @app.get("/v1/use-cases")
    def get_use_cases() -> Response:
        return _ok({**service.use_cases(), "request_id": context().request_id})

    @app.get("/v1/models")
    def get_models() -> Response:
        return _ok({**service.models(), "request_id": context().request_id})

    @app.get("/v1/knowledge-bases")
    def get_knowledge_bases() -> Response:
        return _ok({**service.knowledge_bases(), "request_id": context().request_id})

    def conversations() -> Conversations:
        return Conversations(service.store)

    @app.get("/v1/conversations")
    def list_conversations() -> Response:
        ctx = context()
        query = app.current_event.query_string_parameters or {}
        return _ok({**conversations().list(ctx.caller, query), "request_id": ctx.request_id})

    @app.get("/v1/conversations/<conversation_id>")
    def get_conversation(conversation_id: str) -> Response:
        ctx = context()
        return _ok({**conversations().get(ctx.caller, conversation_id), "request_id": ctx.request_id})

    @app.delete("/v1/conversations/<conversation_id>")
    def delete_conversation(conversation_id: str) -> Response:
        conversations().delete(context().caller, conversation_id)
        return Response(status_code=204, content_type=JSON, body="")

    @app.get("/v1/openapi.json")
    def get_openapi() -> Response:
        return Response(status_code=200, content_type=JSON, body=api_schema.openapi_json())

    def post(operation: str) -> Callable[[], Response]:
        def route() -> Response:
            ctx = context()  # before the body: its parse errors carry the request id
            return _ok(getattr(service, operation)(body(), ctx))

        route.__name__ = f"post_{operation}"
        return route

    for path, operation in POST_OPERATIONS.items():
        app.post(path)(post(operation))

    def streamed(operation: str) -> Callable[[], Response]:
        def route() -> Response:
            ctx = context()
            if not streams:
                from .streaming.service import StreamService

                streams.append(StreamService(service, stream_settings, agent=agent))
            from .streaming.events import MEDIA_TYPE, encode

            stream = streams[0].open(operation, body(), ctx)
            try:
                payload = b"".join(encode(event) for event in stream)
            finally:
                stream.close()
            return Response(status_code=200, content_type=MEDIA_TYPE, body=payload.decode("utf-8"))

        route.__name__ = f"post_{operation}_stream"
        return route

    for path, operation in STREAM_OPERATIONS.items():
        app.post(path)(streamed(operation))

    if agent is not None:
        @app.post(AGENT_PATH)
        def post_agent() -> Response:
            ctx = context()
            return _ok(agent.answer(body(), ctx))

        app.post(AGENT_STREAM_PATH)(streamed("agent"))

    @app.exception_handler(ApiError)
    def handle_api_error(exc: ApiError) -> Response:
        request_id = request_id_of(app.current_event.raw_event, app.lambda_context)
        log = logger.warning if exc.status >= 500 else logger.info
        log("request failed", extra={"status": exc.status, "code": exc.code, "field": exc.field})
        return Response(
            status_code=exc.status, content_type=JSON, body=_dumps(error_body(exc, request_id)), headers=exc.headers()
        )

    @app.not_found
    def handle_not_found(_: NotFoundError) -> Response:
        event = app.current_event
        # The caller chose the path (and the method, for all API Gateway checks): named only as the table's.
        route = route_for(table, event.path)
        if route:
            template, allowed = route
            message = f"this method is not allowed on {template}; allowed: {', '.join(allowed)}"
            exc: ApiError = MethodNotAllowed(message)
            headers = {"Allow": ", ".join(allowed)}
        else:
            exc, headers = NotFound(f"no route for this path; routes: {sorted(table)}"), {}
        request_id = request_id_of(event.raw_event, app.lambda_context)
        logger.info("request failed", extra={"status": exc.status, "code": exc.code})
        return Response(status_code=exc.status, content_type=JSON, body=_dumps(error_body(exc, request_id)), headers=headers)

    @app.exception_handler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        # Type only: a message or traceback could carry prompt text.
        logger.error("unhandled error", extra={"error_type": type(exc).__name__})
        request_id = request_id_of(app.current_event.raw_event, app.lambda_context)
        error = ApiError("internal error; quote the request_id when reporting it")
        return Response(status_code=500, content_type=JSON, body=_dumps(error_body(error, request_id)))

    return app


# --------------------------------------------------------------------------- entry
def handle(app: APIGatewayRestResolver, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    request_id = request_id_of(event, context)
    try:
        if not owner_of(event.get("requestContext") or {}):
            # IAM auth fills requestContext.identity, a Cognito user-pool authorizer the claims;
            # without either the request did not come through an authorized method.
            return error_proxy_response(
                Forbidden("the request is not signed by an IAM principal (SigV4) nor carries a Cognito token"), request_id
            )
        return app.resolve(event, context)
    except Forbidden as exc:
        return error_proxy_response(exc, request_id)
    except Exception as exc:  # noqa: BLE001 - a malformed event: the resolver could not even start
        logger.error("unhandled error", extra={"error_type": type(exc).__name__})
        return error_proxy_response(ApiError("internal error; quote the request_id when reporting it"), request_id)
