"""Fixtures for the safety package tests: real botocore clients behind request-validating stubs
(see ``helpers.py``). Nothing here reaches AWS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import botocore.session
import pytest
from safety import SafetyFilter, ServiceLimits

from .helpers import RoutingStubber, settings_for


@pytest.fixture(autouse=True)
def aws_test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COMPREHEND", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


@pytest.fixture
def comprehend(botocore_session: botocore.session.Session) -> Any:
    return botocore_session.create_client(
        "comprehend", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def bedrock(botocore_session: botocore.session.Session) -> Any:
    return botocore_session.create_client(
        "bedrock-runtime", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


@pytest.fixture
def comprehend_stub(comprehend: Any) -> Iterator[RoutingStubber]:
    stubber = RoutingStubber(comprehend)
    stubber.activate()
    yield stubber
    stubber.deactivate()


@pytest.fixture
def bedrock_stub(bedrock: Any) -> Iterator[RoutingStubber]:
    stubber = RoutingStubber(bedrock)
    stubber.activate()
    yield stubber
    stubber.deactivate()


@pytest.fixture
def make_filter(
    comprehend: Any, bedrock: Any, comprehend_stub: RoutingStubber, bedrock_stub: RoutingStubber
) -> Iterator[Callable[..., SafetyFilter]]:
    """``make_filter(limits=..., metrics=..., **settings)`` over the stubbed clients (the stubs
    are always active, so a call nobody queued a response for fails instead of reaching AWS)."""
    created: list[SafetyFilter] = []

    def factory(*, limits: ServiceLimits | None = None, metrics: Any = None, **overrides: Any) -> SafetyFilter:
        safety_filter = SafetyFilter(
            settings_for(**overrides), comprehend=comprehend, bedrock_runtime=bedrock, metrics=metrics, limits=limits
        )
        created.append(safety_filter)
        return safety_filter

    yield factory
    for safety_filter in created:
        safety_filter.close()
