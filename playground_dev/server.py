"""The dev server: ``playground/dist/`` at ``/``, the runtime settings at ``/config.json``, the API at ``/v1/*``.

Buffered routes become API Gateway proxy events (:mod:`playground_dev.events`) for the orchestrator's real
``handler.handler``, one at a time (a Lambda execution environment serves one request at a time, and the
Powertools resolver keeps the current event on itself). Streamed routes (``text/event-stream`` in
schemas/routes.json) go to the streaming function's HTTP app on a private loopback port with the request
context in ``x-amzn-request-context``, as the Lambda Web Adapter passes it, and each chunk is sent on as it
arrives. Every response carries the deployed site's security headers.
"""

from __future__ import annotations

import base64
import http.client
import json
import mimetypes
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .events import Route, proxy_event
from .headers import SECURITY_HEADERS

#: ``/config.json`` of a local run (the deployed one is written by cdk/components/playground_site).
LOCAL_CONFIG = {"environment": "local", "local": True, "auth": {"mode": "stub"}, "api_base": "/v1"}
#: API Gateway's payload limit (10 MB, "Amazon API Gateway quotas": payload size).
MAX_BODY_BYTES = 10 * 1024 * 1024
STREAM_TIMEOUT_SECONDS = 330  # longer than the streaming app's own max_seconds default (300)
_HOP_BY_HOP = {"connection", "transfer-encoding", "keep-alive", "content-length", "date", "server"}

Invoke = Callable[[dict[str, Any]], Mapping[str, Any]]


class PlaygroundServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, dist: Path, invoke: Invoke, routes: list[Route],
                 stream_address: tuple[str, int] | None, log: Callable[[str], None] = print) -> None:
        super().__init__(address, PlaygroundHandler)
        self.dist = dist.resolve()
        self.invoke = invoke
        self.routes = routes
        self.stream_address = stream_address
        self.log = log

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


class PlaygroundHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: PlaygroundServer

    def log_message(self, format: str, *args: Any) -> None:
        """Replaced by one access line per API request (:meth:`_access`)."""

    # ----------------------------------------------------------------- dispatch
    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        if path == "/v1" or path.startswith("/v1/"):
            self._api()
        elif self.command not in ("GET", "HEAD"):
            self._send(405, b"method not allowed\n", "text/plain; charset=utf-8", {"Allow": "GET, HEAD"})
        elif path == "/config.json":
            self._send(200, json.dumps(LOCAL_CONFIG).encode(), "application/json", {"Cache-Control": "no-store"})
        else:
            self._static(path)

    # ----------------------------------------------------------------- static files
    def _static(self, path: str) -> None:
        relative = unquote(path).lstrip("/")
        if "." not in relative.rsplit("/", 1)[-1]:
            # The site's viewer-request function: a path without a file extension is a client-side route of the
            # single-page app, answered with /index.html (cdk/components/playground_site).
            relative = "index.html"
        target = (self.server.dist / relative).resolve()
        if not target.is_relative_to(self.server.dist) or not target.is_file():
            hint = "" if self.server.dist.is_dir() else f" ({self.server.dist} is missing: run make setup)"
            self._send(404, f"not found{hint}\n".encode(), "text/plain; charset=utf-8")
            return
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        self._send(200, target.read_bytes(), content_type, {"Cache-Control": "no-cache"})

    # ----------------------------------------------------------------- API
    def _api(self) -> None:
        started = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(413, b'{"message":"Request Too Long"}', "application/json")
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        event = proxy_event(self.command, self.path, self.headers.items(), body, routes=self.server.routes,
                            source_ip=self.client_address[0])
        request_id = event["requestContext"]["requestId"]
        route = next((r for r in self.server.routes if r.template == event["resource"] and r.method == self.command), None)
        if route is not None and route.streamed and self.server.stream_address is not None:
            status = self._stream(event, body)
        else:
            status = self._buffered(event)
        self._access(status, request_id, started)

    def _buffered(self, event: dict[str, Any]) -> int:
        response = self.server.invoke(event)
        headers: dict[str, str] = {"x-amzn-RequestId": event["requestContext"]["requestId"]}
        headers.update({k: str(v) for k, v in (response.get("headers") or {}).items()})
        for key, values in (response.get("multiValueHeaders") or {}).items():
            headers[key] = ", ".join(str(v) for v in values) if isinstance(values, list) else str(values)
        raw = response.get("body") or ""
        payload = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode("utf-8")
        status = int(response.get("statusCode", 500))
        content_type = headers.pop("Content-Type", None) or headers.pop("content-type", "application/json")
        self._send(status, payload, content_type, headers)
        return status

    def _stream(self, event: dict[str, Any], body: bytes) -> int:
        """Forward to the streaming app as the Lambda Web Adapter does, and pass each chunk on as it arrives."""
        host, port = self.server.stream_address
        upstream = http.client.HTTPConnection(host, port, timeout=STREAM_TIMEOUT_SECONDS)
        try:
            upstream.request(self.command, self.path, body=body, headers={
                "Content-Type": self.headers.get("Content-Type") or "application/json",
                "x-amzn-request-context": json.dumps(event["requestContext"]),
            })
            response = upstream.getresponse()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self._security_headers(event["requestContext"]["requestId"])
            length = response.getheader("Content-Length")
            if length is not None:
                payload = response.read()
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return response.status
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while chunk := response.read1(65536):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return response.status
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the browser went away; closing upstream stops the model stream
            return 499
        finally:
            upstream.close()

    # ----------------------------------------------------------------- helpers
    def _security_headers(self, request_id: str | None = None) -> None:
        for key, value in SECURITY_HEADERS.items():
            self.send_header(key, value)
        if request_id:
            self.send_header("x-amzn-RequestId", request_id)

    def _send(self, status: int, payload: bytes, content_type: str, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self._security_headers()
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _access(self, status: int, request_id: str, started: float) -> None:
        elapsed = (time.monotonic() - started) * 1000
        self.server.log(f"{self.command} {urlsplit(self.path).path} {status} {elapsed:.0f} ms request {request_id}")


def serialized(handler: Callable[[dict[str, Any], Any], Mapping[str, Any]], context: Callable[[], Any]) -> Invoke:
    """``handler`` called one event at a time, with a fresh Lambda context each."""
    lock = threading.Lock()

    def invoke(event: dict[str, Any]) -> Mapping[str, Any]:
        with lock:
            return handler(event, context())

    return invoke


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
