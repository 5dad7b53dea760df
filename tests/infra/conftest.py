from __future__ import annotations

import pytest

from tests.infra.synth import SynthesizedApp, synthesize


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> SynthesizedApp:
    """The whole app, every environment, synthesized once for the session."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"))
