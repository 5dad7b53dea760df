"""Fixtures for the orchestrator tests. Nothing reaches AWS: real botocore clients whose HTTP
exchange is answered by :class:`fakes.FakeAws` (requests still validated, signed, retried and
parsed by botocore), moto for DynamoDB, and a fake of the safety contract (the real safety
package is exercised in test_orchestrator_safety_integration.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from localaws import fakes

_SERVICES = ("bedrock-runtime", "sagemaker-runtime", "comprehend", "dynamodb", "bedrock-agent-runtime", "bedrock-agentcore")


class _Dispatch:
    """One hook per session client, forwarding to the current test's FakeAws."""

    current: fakes.FakeAws | None = None

    def __call__(self, request: Any, **kwargs: Any) -> Any:
        if self.current is None:
            raise AssertionError("no FakeAws installed for this test")
        return self.current._before_send(request, **kwargs)


_DISPATCH = _Dispatch()


@pytest.fixture(autouse=True)
def orchestrator_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in fakes.ENV.items():
        monkeypatch.setenv(key, value)
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
        "LAMBDA_TASK_ROOT",
        "POWERTOOLS_TRACE_DISABLED",
        "AWS_SAM_LOCAL",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _session_clients() -> Any:
    """``AwsClients`` configured as in Lambda (orchestrator.clients), every client created once and
    answered by the current test's FakeAws; except that botocore validates every request's parameters
    against the service model (Lambda skips that for the services in ``UNVALIDATED_SERVICES``), so a
    request the code builds wrong fails the test here instead of reaching AWS there."""
    import os

    from orchestrator.clients import AwsClients

    saved = dict(os.environ)
    os.environ.update({k: v for k, v in fakes.ENV.items() if k.startswith("AWS_")})
    try:
        clients = AwsClients(model_read_timeout=27.0, validate_parameters=True)
        created = [clients.client(name) for name in _SERVICES]
    finally:
        os.environ.clear()
        os.environ.update(saved)
    for client in created:
        client.meta.events.register_first("before-send", _DISPATCH)
    return clients


@pytest.fixture
def aws(_session_clients: Any) -> Iterator[fakes.FakeAws]:
    fake = fakes.FakeAws()
    _DISPATCH.current = fake
    yield fake
    _DISPATCH.current = None


@pytest.fixture
def safety_fake() -> fakes.FakeSafetyFilter:
    return fakes.FakeSafetyFilter()


@pytest.fixture
def runtime_for(monkeypatch: pytest.MonkeyPatch, aws: fakes.FakeAws, _session_clients: Any) -> Iterator[Callable[..., Any]]:
    """``runtime_for(safety_filter=None, **env)``: build the composition root (handler.build_runtime)
    from the test environment over the FakeAws clients and serve requests with it. Without a
    filter the real safety package is built, as in Lambda."""
    import os

    import handler

    built: list[Any] = []

    def build(safety_filter: Any = None, **env: str) -> Any:
        runtime = handler.build_runtime({**os.environ, **env}, clients=_session_clients, safety_filter=safety_filter)
        monkeypatch.setattr(handler, "RUNTIME", runtime)
        built.append(runtime)
        return runtime

    yield build
    for runtime in built:
        runtime.service.backends.close()
        if not isinstance(runtime.service.safety.filter, fakes.FakeSafetyFilter):
            runtime.service.safety.filter.close()


@pytest.fixture
def handler_module(runtime_for: Callable[..., Any], safety_fake: fakes.FakeSafetyFilter) -> Any:
    import handler

    runtime_for(safety_fake)
    return handler


Call = Callable[..., tuple[int, dict[str, Any], dict[str, str]]]


@pytest.fixture
def call(handler_module: Any) -> Call:
    """call(method, path, body=None, **event_kwargs) -> (status, json body, headers)."""

    def invoke(method: str, path: str, body: Any = None, *, context: Any = None, **kwargs: Any):
        event = fakes.api_event(method, path, body, **kwargs)
        response = handler_module.handler(event, context or fakes.LambdaContext())
        headers = dict(response.get("headers") or {})
        for key, values in (response.get("multiValueHeaders") or {}).items():
            headers.setdefault(key, values[-1] if isinstance(values, list) else values)
        body = json.loads(response["body"]) if response.get("body") else None  # 204: no body
        return response["statusCode"], body, headers

    return invoke


@pytest.fixture
def no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record botocore's retry back-off instead of sleeping through it."""
    import botocore.endpoint

    slept: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", slept.append)
    return slept


@pytest.fixture
def captured_output(handler_module: Any, capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], str]]:
    """Everything a request writes: the Powertools logger's JSON lines, every stdlib logger at
    DEBUG (botocore, urllib3, the safety package) and stdout (EMF metrics)."""
    import io
    import logging

    from orchestrator.observability import logger

    buffer = io.StringIO()
    ours = logging.StreamHandler(buffer)
    ours.setFormatter(logger.registered_formatter)
    logger._logger.addHandler(ours)
    everything = logging.StreamHandler(buffer)
    everything.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(everything)
    root.setLevel(logging.DEBUG)

    def read() -> str:
        out = capsys.readouterr()
        return buffer.getvalue() + out.out + out.err

    yield read
    root.removeHandler(everything)
    root.setLevel(previous)
    logger._logger.removeHandler(ours)
