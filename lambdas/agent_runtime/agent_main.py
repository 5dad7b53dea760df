"""AgentCore Runtime entry point (HTTP protocol contract: port 8080, ``POST /invocations``, ``GET /ping``
answering ``{"status": "Healthy"}``; devguide "runtime-service-contract"). Standard library server: the code
asset needs no web framework."""

from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from agent_runtime.app import build_app

APP = build_app(os.environ)  # once per process: a bad setting fails the start, not a request
MAX_BODY_BYTES = 1_000_000


class Handler(BaseHTTPRequestHandler):
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
        body = APP.handle(payload if isinstance(payload, dict) else {})
        self._send(200, body)

    def log_message(self, *_: object) -> None:  # request lines would carry nothing useful; never bodies
        return

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()  # noqa: S104 - the Runtime's contract
