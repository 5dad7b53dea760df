"""AgentCore Runtime entry point (HTTP protocol contract: port 8080, ``POST /invocations``, ``GET /ping``
answering ``{"status": "Healthy"}``; devguide "runtime-service-contract"). Standard library server: the code
asset needs no web framework.

``POST /invocations`` answers JSON, or, when the caller accepts ``text/event-stream`` (the API's
``/v1/agent/stream``), Server-Sent Events: a ``tool_call`` event as each tool call starts and ends, then the
JSON answer as ``{"type": "result", ...}``. A write that fails (the caller went away) stops the run before
its next tool call starts."""

from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY_BYTES = 1_000_000
EVENT_STREAM = "text/event-stream"


class CallerGone(Exception):
    """The streamed answer could not be written: the run stops before its next tool call."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked streamed answers
    server: AgentHttpServer

    def do_GET(self) -> None:
        if self.path == "/ping":
            self._send(200, {"status": "Healthy"})
        else:
            self._send(404, {"error": {"code": "not_found", "message": "no such path"}})

    def do_POST(self) -> None:
        if self.path != "/invocations":
            self._send(404, {"error": {"code": "not_found", "message": "no such path"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(413, {"error": {"code": "payload_too_large", "message": "body too large"}})
            return
        try:
            payload = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(400, {"error": {"code": "validation_error", "message": "the body is not JSON"}})
            return
        payload = payload if isinstance(payload, dict) else {}
        if EVENT_STREAM in (self.headers.get("Accept") or ""):
            self._stream(payload)
        else:
            self._send(200, self.server.app.handle(payload))

    def log_message(self, *_: object) -> None:  # request lines would carry nothing useful; never bodies
        return

    def _stream(self, payload: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", f"{EVENT_STREAM}; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            body = self.server.app.handle(payload, progress=self._event)
            self._event({"type": "result", **body})
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except CallerGone:
            pass
        finally:
            self.close_connection = True

    def _event(self, event: dict[str, Any]) -> None:
        chunk = b"data: " + json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n\n"
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        except OSError:
            raise CallerGone from None

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class AgentHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: Any) -> None:
        super().__init__(address, Handler)
        self.app = app  # agent_runtime.app.AgentApp


def main() -> None:
    from agent_runtime.app import build_app

    app = build_app(os.environ)  # once per process: a bad setting fails the start, not a request
    AgentHttpServer(("0.0.0.0", 8080), app).serve_forever()  # noqa: S104 - the Runtime's contract


if __name__ == "__main__":
    main()
