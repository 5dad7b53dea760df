"""The post-deploy smoke test signs its request with SigV4, retries only what a fresh deploy excuses, and
fails with a message that says what is wrong. It runs against a local server on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.credentials import Credentials

from tests.infra.synth import ROOT

_spec = importlib.util.spec_from_file_location("smoke_test", ROOT / "scripts" / "smoke_test.py")
smoke = sys.modules.setdefault("smoke_test", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(smoke)

CREDENTIALS = Credentials("AKIDEXAMPLE", "secret-example", None)
HEALTHY = {"use_cases": [{"id": "summarize"}, {"id": "chat"}], "request_id": "req-1"}


class FakeApi:
    """Answers GET /v1/v1/use-cases with a scripted sequence of (status, body); records what it was sent."""

    def __init__(self, answers: list[tuple[int, object]]) -> None:
        self.answers = list(answers)
        self.requests: list[dict] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.requests.append({"path": self.path, "headers": dict(self.headers.items())})
                status, body = api.answers.pop(0) if len(api.answers) > 1 else api.answers[0]
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/"

    def __enter__(self) -> FakeApi:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def no_sleep() -> Iterator[list[float]]:
    slept: list[float] = []
    yield slept


def test_a_healthy_api_passes_and_the_request_is_sigv4_signed_for_execute_api(no_sleep):
    with FakeApi([(200, HEALTHY)]) as api:
        result = smoke.run(api.url, region="eu-west-1", credentials=CREDENTIALS, sleep=no_sleep.append)
    assert (result.status, result.use_cases, result.request_id, result.attempts) == (200, 2, "req-1", 1)
    (request,) = api.requests
    assert request["path"] == "/v1/v1/use-cases"
    authorization = request["headers"]["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization
    assert "X-Amz-Date" in request["headers"]


def test_a_fresh_deploy_answering_503_then_200_is_retried_with_backoff(no_sleep):
    with FakeApi([(503, {"message": "warming"}), (429, {}), (200, HEALTHY)]) as api:
        result = smoke.run(api.url, region="eu-west-1", credentials=CREDENTIALS, sleep=no_sleep.append, backoff=1)
    assert result.attempts == 3
    assert no_sleep == [1, 2]
    assert len(api.requests) == 3


def test_forbidden_fails_at_once_with_a_hint_about_execute_api_invoke(no_sleep):
    with FakeApi([(403, {"message": "Forbidden"})]) as api, pytest.raises(smoke.SmokeTestError, match="execute-api:Invoke"):
        smoke.run(api.url, region="eu-west-1", credentials=CREDENTIALS, sleep=no_sleep.append)
    assert len(api.requests) == 1 and no_sleep == []


def test_persistent_5xx_fails_after_a_bounded_number_of_attempts(no_sleep):
    with FakeApi([(502, {})]) as api, pytest.raises(smoke.SmokeTestError, match="after 3 attempts: HTTP 502"):
        smoke.run(api.url, region="eu-west-1", credentials=CREDENTIALS, attempts=3, sleep=no_sleep.append)
    assert len(api.requests) == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>oops</html>", "not JSON"),
        ({"use_cases": []}, "non-empty 'use_cases'"),
        ({"use_cases": [{"name": "no id"}]}, "string 'id'"),
    ],
)
def test_a_200_with_a_wrong_body_fails(body, message, no_sleep):
    with FakeApi([(200, body)]) as api, pytest.raises(smoke.SmokeTestError, match=message):
        smoke.run(api.url, region="eu-west-1", credentials=CREDENTIALS, sleep=no_sleep.append)


def test_an_unreachable_api_is_retried_then_reported(no_sleep):
    with FakeApi([(200, HEALTHY)]) as api:
        url = api.url
    with pytest.raises(smoke.SmokeTestError, match="after 2 attempts: URLError"):
        smoke.run(url, region="eu-west-1", credentials=CREDENTIALS, attempts=2, timeout=2, sleep=no_sleep.append)


def test_the_region_comes_from_the_execute_api_host():
    assert smoke.region_for("https://abc123.execute-api.ap-southeast-2.amazonaws.com/v1/", None) == "ap-southeast-2"
    assert smoke.region_for("https://abc123.execute-api.cn-north-1.amazonaws.com.cn/v1/", None) == "cn-north-1"
    assert smoke.region_for("https://api.example.com/v1/", "eu-west-1") == "eu-west-1"


def test_the_url_comes_from_a_cdk_outputs_file(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"genai-dev-alerting": {}, "genai-dev-api": {"ApiUrl": "https://x.execute-api.eu-west-1.amazonaws.com/v1/"}}))
    assert smoke.api_url_from_outputs(outputs).startswith("https://x.execute-api")
    outputs.write_text(json.dumps({"genai-dev-alerting": {}}))
    with pytest.raises(smoke.UsageError, match="exactly one stack output named ApiUrl"):
        smoke.api_url_from_outputs(outputs)


def test_without_a_url_the_script_exits_2_with_a_message(monkeypatch, capsys):
    monkeypatch.delenv("API_URL", raising=False)
    assert smoke.main([]) == 2
    assert "no API URL" in capsys.readouterr().err


def test_the_script_exits_1_on_an_unhealthy_api(monkeypatch, capsys):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-example")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with FakeApi([(403, {})]) as api:
        assert smoke.main(["--url", api.url, "--region", "eu-west-1", "--attempts", "1"]) == 1
    assert "smoke test FAILED: GET /v1/use-cases answered HTTP 403" in capsys.readouterr().err


# A Cognito environment: the pipeline holds no user, so an anonymous call must meet the authorizer's JSON 401.
REFUSED = {"error": {"code": "unauthorized", "message": "Unauthorized"}, "request_id": "req-401"}


def test_unauthenticated_mode_sends_no_signature_and_passes_on_the_gateways_json_401(no_sleep):
    with FakeApi([(503, {}), (401, REFUSED)]) as api:
        result = smoke.run(api.url, region="eu-west-1", credentials=None, sleep=no_sleep.append, backoff=1)
    assert (result.status, result.request_id, result.attempts) == (401, "req-401", 2)
    assert all("Authorization" not in request["headers"] for request in api.requests)


@pytest.mark.parametrize(("status", "body", "message"), [
    (200, HEALTHY, "the API is open"),
    (401, {"message": "Unauthorized"}, "'unauthorized' error shape"),
    (403, {"message": "Forbidden"}, "HTTP 403"),
])
def test_unauthenticated_mode_fails_when_the_api_is_open_or_refuses_in_another_shape(status, body, message, no_sleep):
    with FakeApi([(status, body)]) as api, pytest.raises(smoke.SmokeTestError, match=message):
        smoke.run(api.url, region="eu-west-1", credentials=None, sleep=no_sleep.append)


def test_unauthenticated_mode_needs_no_credentials(monkeypatch, capsys):
    monkeypatch.setenv("SMOKE_UNAUTHENTICATED", "1")
    monkeypatch.setattr(smoke, "_credentials", lambda: pytest.fail("credentials were looked up"))
    with FakeApi([(401, REFUSED)]) as api:
        assert smoke.main(["--url", api.url, "--region", "eu-west-1"]) == 0
    assert "anonymous call refused" in capsys.readouterr().out
