"""Issue 12 item 11: no AWS call starts after the handler has answered at its deadline.

A fake Bedrock on loopback answers every Converse slowly with a retryable 503: the handler answers
504 at its deadline, and the endpoint must never see a second (billed) attempt afterwards.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from localaws import fakes

SLOW_SECONDS = 1.5


class _SlowBedrock(BaseHTTPRequestHandler):
    arrivals: ClassVar[list[float]] = []

    def do_POST(self) -> None:
        type(self).arrivals.append(time.monotonic())
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(SLOW_SECONDS)
        body = json.dumps({"message": "busy"}).encode()
        try:
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("x-amzn-ErrorType", "ServiceUnavailableException")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (read timeout)
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_bedrock() -> Iterator[tuple[str, list[float]]]:
    _SlowBedrock.arrivals = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowBedrock)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _SlowBedrock.arrivals
    server.shutdown()
    server.server_close()


def test_no_model_call_starts_after_the_504(monkeypatch, slow_bedrock, safety_fake) -> None:
    import handler
    from orchestrator.clients import AwsClients
    from orchestrator.deadline import RESPONSE_MARGIN_SECONDS

    url, arrivals = slow_bedrock
    for key, value in fakes.ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", url)
    clients = AwsClients(model_read_timeout=27.0)
    runtime = handler.build_runtime(dict(fakes.ENV), clients=clients, safety_filter=safety_fake)
    try:
        # The Lambda's remaining time leaves the model 0.7 s after the margins kept for screening and the response.
        margins = RESPONSE_MARGIN_SECONDS + runtime.service.output_screening_seconds
        context = fakes.LambdaContext(int((margins + 0.7) * 1000))
        event = fakes.api_event("POST", "/v1/generate", {"use_case": "summarize", "input": "The board met."})
        started = time.monotonic()
        response = runtime.handle(event, context)
        answered = time.monotonic()
        assert response["statusCode"] == 504, response["body"]
        assert answered - started < SLOW_SECONDS
        time.sleep(SLOW_SECONDS + 2.5)  # long enough for the slow answer, a back-off and a retry
        # Arrival times, not a count: on a loaded machine the deadline may pass before even the first attempt.
        late = [arrival for arrival in arrivals if arrival > answered]
        assert len(arrivals) <= 1 and not late, f"{len(late)} attempt(s) started after the response"
    finally:
        runtime.service.backends.close()


def test_a_call_queued_behind_a_slow_one_never_starts_after_the_deadline(runtime_for, safety_fake, aws) -> None:
    from orchestrator.backends import ModelBackends, ModelRequest
    from orchestrator.deadline import Deadline
    from orchestrator.errors import ModelTimeout
    from orchestrator.parameters import resolve

    runtime = runtime_for(safety_fake)
    settings, defaults = runtime.service.settings, runtime.service.catalog["summarize"].default_parameters
    aws.on("bedrock-runtime", "Converse", fakes.slow(0.8, fakes.converse_reply("late")))
    backends = ModelBackends(runtime.clients, settings, max_workers=1)  # the second call waits in the queue
    models = [settings.model(fakes.HAIKU), settings.model(fakes.NOVA)]
    try:
        outcomes = backends.invoke_many(
            models, lambda m: ModelRequest("Be brief.", (("user", "hi"),), resolve(defaults, {}, m)), Deadline(0.3)
        )
        assert all(isinstance(outcome, ModelTimeout) for outcome in outcomes)
        time.sleep(1.2)  # the first call ends; the queued one must not start now
        assert aws.count("bedrock-runtime", "Converse") == 1
    finally:
        backends.close()
