"""The streaming function's HTTP app: what the Lambda Web Adapter (LWA) fronts in Lambda, and what
tests and ``scripts/serve_stream_local.py`` run on loopback.

In Lambda, API Gateway invokes the function with ``InvokeWithResponseStream`` (integration
``responseTransferMode: STREAM``); LWA turns the proxy event into an HTTP request to this server on
127.0.0.1 and streams the response back in API Gateway's streaming format. LWA passes API
Gateway's ``requestContext`` (the IAM identity or the Cognito claims) as the JSON header
``x-amzn-request-context``; the caller and the request id come from it, exactly as the buffered handler
reads them from the event. Only LWA reaches the port (loopback inside the execution environment).

Errors before the stream starts are the buffered API's JSON errors with their status; after that,
the SSE ``error`` event. A write that fails (the caller went away) closes the stream, which closes
the model's stream.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..errors import ApiError, Forbidden, NotFound
from ..observability import logger, metrics
from ..owner import owner_of
from ..routes import error_body
from ..service import RequestContext
from ..validation import parse_json_body
from .events import MEDIA_TYPE, encode
from .service import StreamService

#: Streamed route -> the operation it streams.
STREAM_ROUTES = {"/v1/generate/stream": "generate", "/v1/chat/stream": "chat", "/v1/agent/stream": "agent"}
REQUEST_CONTEXT_HEADER = "x-amzn-request-context"
DEFAULT_PORT = 8080  # LWA's default AWS_LWA_PORT


class StreamRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: StreamHttpServer

    def log_message(self, format: str, *args: Any) -> None:
        """No access log lines: paths only would be harmless, but the Powertools logs already cover requests."""

    def do_GET(self) -> None:
        # LWA's readiness check (AWS_LWA_READINESS_CHECK_PATH, default "/").
        self._send_json(200, {"status": "ready"}) if self.path == "/" else self._send_error(NotFound("no such route"), "-")

    def do_POST(self) -> None:
        request_context = self._request_context()
        request_id = str(request_context.get("requestId") or uuid.uuid4())
        operation = STREAM_ROUTES.get(self.path.split("?", 1)[0])
        if operation is None:
            # The caller chose the path: not echoed (as routes.py's 404).
            self._send_error(NotFound(f"no streamed route for this path; routes: {sorted(STREAM_ROUTES)}"), request_id)
            return
        try:
            caller = owner_of(request_context)  # the buffered routes' rule (owner.py)
        except Forbidden as exc:
            self._send_error(exc, request_id)
            return
        if not caller:
            self._send_error(Forbidden("the request is not signed by an IAM principal (SigV4) nor carries a Cognito token"),
                             request_id)
            return
        streams: StreamService = self.server.streams
        try:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ctx = RequestContext(request_id=request_id, caller=caller, deadline=streams.deadline(self.server.lambda_context))
            data = parse_json_body(body, False, streams.service.settings)
            stream = streams.open(operation, data, ctx)
        except ApiError as exc:
            logger.info("request failed", extra={"status": exc.status, "code": exc.code, "field": exc.field})
            self._send_error(exc, request_id)
            return
        except Exception as exc:  # noqa: BLE001 - as routes.py's handler: type only (a message could quote the text)
            # Escaping do_POST, it would reach socketserver's handle_error: a traceback on stderr (the function's
            # log) and a connection closed without an answer.
            logger.error("unhandled error", extra={"error_type": type(exc).__name__})
            self._send_error(ApiError("internal error; quote the request_id when reporting it"), request_id)
            return
        self._stream(stream)
        if metrics.metric_set:  # the model call's metrics (EMF on stdout, as the buffered handler's decorator does)
            metrics.flush_metrics()

    def _stream(self, stream: Any) -> None:
        self.send_response(200)
        self.send_header("Content-Type", f"{MEDIA_TYPE}; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for payload in stream:
                chunk = encode(payload)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            logger.info("caller went away; closing the model stream")
        finally:
            stream.close()
            self.close_connection = True

    def _request_context(self) -> Mapping[str, Any]:
        raw = self.headers.get(REQUEST_CONTEXT_HEADER)
        if raw:
            try:
                parsed = json.loads(raw)
                return parsed if isinstance(parsed, dict) else {}
            except ValueError:
                return {}
        return self.server.local_request_context or {}

    def _send_error(self, exc: ApiError, request_id: str) -> None:
        self._send_json(exc.status, error_body(exc, request_id), exc.headers())

    def _send_json(self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)


class StreamHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], streams: StreamService, *, local_request_context: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(address, StreamRequestHandler)
        self.streams = streams
        #: Only for local runs without a gateway: the identity every request is treated as coming from.
        self.local_request_context = local_request_context
        self.lambda_context = None  # the deadline comes from max_seconds (the function's timeout is longer)


def build_server(streams: StreamService, host: str = "127.0.0.1", port: int = DEFAULT_PORT, **kwargs: Any) -> StreamHttpServer:
    return StreamHttpServer((host, port), streams, **kwargs)


def main() -> None:
    """The Lambda entry (``run.sh``, started by LWA): the composition root of ``handler.py`` plus the
    stream settings, served on AWS_LWA_PORT."""
    import handler

    from orchestrator.stream_settings import StreamSettings

    streams = StreamService(handler.RUNTIME.service, StreamSettings.from_environment(os.environ), agent=handler.RUNTIME.agent)
    port = int(os.environ.get("AWS_LWA_PORT") or os.environ.get("PORT") or DEFAULT_PORT)
    build_server(streams, port=port).serve_forever()


if __name__ == "__main__":
    main()
