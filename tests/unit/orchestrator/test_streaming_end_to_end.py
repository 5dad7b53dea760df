"""End to end on loopback: the streaming function's HTTP app (what the Lambda Web Adapter fronts)
serves the streamed routes over the composition root of ``handler.py``; the ``genai-call`` client
signs with SigV4, prints the text as it arrives and reports errors with their request id."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest

from localaws import fakes
from localaws.streams import converse_frames, streamed

from ..client import _CLIENT_SRC  # noqa: F401 - puts client/ on sys.path
from .test_streaming import TOKENS, comprehend


@pytest.fixture
def server(runtime_for: Any) -> Any:
    from orchestrator.stream_settings import StreamSettings
    from orchestrator.streaming.server import build_server
    from orchestrator.streaming.service import StreamService

    runtime = runtime_for()  # the real safety filter, built by the composition root
    streams = StreamService(runtime.service, StreamSettings(window_chars=40, min_window_chars=10, tail_chars=24))
    # No gateway here: every request is treated as signed by fakes.CALLER (in Lambda, LWA passes API
    # Gateway's requestContext in the x-amzn-request-context header).
    httpd = build_server(streams, port=0, local_request_context={"identity": {"userArn": fakes.CALLER}})
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def run_client(*argv: str) -> tuple[int, str, str]:
    from genai_client.cli import main

    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_the_client_prints_the_screened_stream_as_it_arrives(aws: fakes.FakeAws, server: str) -> None:
    comprehend(aws)
    aws.on("bedrock-runtime", "ConverseStream", streamed(converse_frames(TOKENS), delay=0.002))
    status, out, err = run_client("POST", "/v1/generate/stream", "--url", server, "--region", "eu-west-1",
                                  "--data", '{"use_case": "summarize", "input": "Summarize the policy."}')
    assert status == 0, err
    assert out.startswith("The answer is simple. Write to [EMAIL] for details.")
    assert "ann.lee" not in out and "[done] end_turn" in err and "[usage]" in err


def test_the_client_shows_a_mid_stream_error_with_its_request_id(aws: fakes.FakeAws, server: str) -> None:
    comprehend(aws)
    aws.on("bedrock-runtime", "ConverseStream", streamed(converse_frames(TOKENS, fail_after=5)))
    status, _, err = run_client("POST", "/v1/generate/stream", "--url", server, "--region", "eu-west-1",
                                "--data", '{"use_case": "summarize", "input": "Summarize the policy."}')
    assert status == 1
    assert "error: throttled" in err and "(request " in err


def test_the_client_shows_an_error_before_the_stream_with_status_and_field(aws: fakes.FakeAws, server: str) -> None:
    status, _, err = run_client("POST", "/v1/chat/stream", "--url", server, "--region", "eu-west-1",
                                "--data", '{"message": ""}')
    assert status == 1 and "HTTP 400 validation_error on field message" in err and "(request " in err
