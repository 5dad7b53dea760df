"""SnapStart priming (orchestrator/priming.py): every operation of a generate request runs once, nothing
leaves the process, and the clients behave normally afterwards."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from orchestrator.clients import AwsClients
from orchestrator.priming import PRIMED_CALLS, prime


class _SendRecorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def __call__(self, request: Any, **_: Any) -> None:
        self.sent.append(request.url)
        raise AssertionError("priming must not send a request")


def test_priming_runs_each_operation_without_sending_anything() -> None:
    session = botocore.session.get_session()
    recorder = _SendRecorder()
    session.register("before-send", recorder)
    clients = AwsClients(model_read_timeout=5, session=session)

    primed = prime(clients)

    assert primed == sum(len(calls) for calls in PRIMED_CALLS.values())
    assert recorder.sent == []


def test_clients_send_normally_after_priming() -> None:
    session = botocore.session.get_session()
    recorder = _SendRecorder()
    session.register("before-send", recorder)
    clients = AwsClients(model_read_timeout=5, session=session)
    prime(clients)

    with pytest.raises(AssertionError, match="must not send"):
        clients.client("comprehend").detect_dominant_language(Text="hello")
    assert len(recorder.sent) == 1


def test_priming_failure_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def client(self, service: str) -> Any:
            raise RuntimeError("no client")

    assert prime(Broken()) == 0
    assert "priming skipped" in caplog.text
