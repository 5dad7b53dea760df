"""The client's signing and command line (the streamed end-to-end runs are in
tests/unit/orchestrator/test_streaming_end_to_end.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from . import _CLIENT_SRC


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
    for key, value in keys.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def test_iam_requests_are_signed_with_sigv4_for_execute_api_in_the_urls_region() -> None:
    from genai_client.cli import parse_args, signed_headers

    url = "https://abc123.execute-api.eu-west-1.amazonaws.com/api/v1/generate/stream"
    headers = signed_headers("POST", url, b"{}", parse_args(["POST", "/v1/generate/stream", "--url", url]))
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == "token" and "X-Amz-Date" in headers


def test_cognito_requests_carry_the_id_token() -> None:
    from genai_client.cli import parse_args, signed_headers

    args = parse_args(["GET", "/v1/models", "--url", "https://x", "--auth", "cognito", "--token", "eyJ.id.token"])
    assert signed_headers("GET", "https://x/v1/models", None, args)["Authorization"] == "eyJ.id.token"


def test_the_module_runs_as_a_command_and_explains_a_missing_url() -> None:
    result = subprocess.run([sys.executable, "-m", "genai_client", "GET", "/v1/models"], capture_output=True, text=True,
                            cwd=_CLIENT_SRC, env={"PATH": "/usr/bin:/bin"}, timeout=60, check=False)
    assert result.returncode == 2 and "GENAI_API_URL" in result.stderr
