"""The dev server's HTTP side, with the handler and the streaming app replaced by recorders: what it serves at
``/``, ``/config.json`` and ``/v1/*``, that each response carries the site's security headers, and that a
streamed answer reaches the browser chunk by chunk."""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from orchestrator import api_schema

from playground_dev.events import route_table
from playground_dev.headers import SECURITY_HEADERS
from playground_dev.server import LOCAL_CONFIG, PlaygroundServer


class Upstream(BaseHTTPRequestHandler):
    """The streaming app's stand-in: records the request, sends two SSE chunks, the second only once the test
    has read the first."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[dict[str, Any]]] = []
    first_read = threading.Event()

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Upstream.seen.append({"path": self.path, "body": body, "context": json.loads(self.headers["x-amzn-request-context"])})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, chunk in enumerate((b'data: {"type":"delta","text":"one"}\n\n', b'data: {"type":"done"}\n\n')):
            if index == 1:
                Upstream.first_read.wait(5)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    (tmp_path / "index.html").write_text("<!doctype html><title>app</title>")
    (tmp_path / "app.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("secret")
    events: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        if event["path"] == "/v1/image":
            return {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "body": base64.b64encode(b"\x89PNG").decode(),
                    "isBase64Encoded": True}
        return {"statusCode": 429, "headers": {"Content-Type": "application/json", "Retry-After": "2"},
                "body": json.dumps({"error": {"code": "throttled"}, "request_id": event["requestContext"]["requestId"]})}

    Upstream.seen.clear()
    Upstream.first_read.clear()
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    server = PlaygroundServer(("127.0.0.1", 0), dist=tmp_path, invoke=invoke, routes=route_table(api_schema.routes()),
                              stream_address=upstream.server_address[:2], log=lambda line: None)
    for httpd in (upstream, server):
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}", events
    for httpd in (server, upstream):
        httpd.shutdown()
        httpd.server_close()


def request(address: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None):
    connection = http.client.HTTPConnection(address, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def test_config_json_says_local_with_the_stub_sign_in(served) -> None:
    response, body = request(served[0], "GET", "/config.json")
    assert response.status == 200 and json.loads(body) == LOCAL_CONFIG
    assert LOCAL_CONFIG == {"environment": "local", "local": True, "auth": {"mode": "stub"}, "api_base": "/v1"}


def test_every_response_carries_the_sites_security_headers(served) -> None:
    for path in ("/", "/config.json", "/missing.js", "/v1/use-cases"):
        response, _ = request(served[0], "GET", path)
        for name, value in SECURITY_HEADERS.items():
            assert response.getheader(name) == value, (path, name)


def test_static_files_from_dist_and_nothing_outside_it(served) -> None:
    response, body = request(served[0], "GET", "/")
    assert response.status == 200 and body.startswith(b"<!doctype html>")
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    response, body = request(served[0], "GET", "/app.js")
    assert response.status == 200 and body == b"console.log(1)"
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/nothing.css"):
        response, body = request(served[0], "GET", path)
        assert response.status == 404 and b"secret" not in body, path
    response, body = request(served[0], "GET", "/chat/some-conversation")  # a client-side route of the app
    assert response.status == 200 and body.startswith(b"<!doctype html>")
    response, _ = request(served[0], "POST", "/index.html", b"x")
    assert response.status == 405


def test_an_api_request_becomes_a_proxy_event_and_the_handlers_answer_is_sent_as_is(served) -> None:
    address, events = served
    response, body = request(address, "POST", "/v1/generate?x=1", b'{"input": "hi"}', {"Content-Type": "application/json"})
    (event,) = events
    assert (event["httpMethod"], event["path"], event["body"]) == ("POST", "/v1/generate", '{"input": "hi"}')
    assert event["queryStringParameters"] == {"x": "1"}
    assert event["requestContext"]["authorizer"]["claims"]["sub"] == "local-user"
    assert response.status == 429 and response.getheader("Retry-After") == "2"
    assert json.loads(body)["request_id"] == event["requestContext"]["requestId"] == response.getheader("x-amzn-RequestId")


def test_a_base64_answer_is_decoded(served) -> None:
    response, body = request(served[0], "GET", "/v1/image")
    assert response.status == 200 and body == b"\x89PNG" and response.getheader("Content-Type") == "image/png"


def test_a_streamed_route_goes_to_the_streaming_app_and_arrives_chunk_by_chunk(served) -> None:
    address, events = served
    connection = http.client.HTTPConnection(address, timeout=10)
    connection.request("POST", "/v1/generate/stream", body=b'{"input": "hi"}', headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
    assert response.getheader("Content-Security-Policy") == SECURITY_HEADERS["Content-Security-Policy"]
    first = response.read1(65536)  # arrives while the upstream still holds the second chunk back
    assert first == b'data: {"type":"delta","text":"one"}\n\n'
    Upstream.first_read.set()
    assert response.read() == b'data: {"type":"done"}\n\n'
    assert events == []  # not the buffered handler
    (seen,) = Upstream.seen
    assert seen["path"] == "/v1/generate/stream" and seen["body"] == b'{"input": "hi"}'
    assert seen["context"]["authorizer"]["claims"]["sub"] == "local-user"
    assert seen["context"]["requestId"] == response.getheader("x-amzn-RequestId")
