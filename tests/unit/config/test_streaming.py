"""``api.streaming``: defaults, bounds with the key path, and the runtime contract it builds."""

from __future__ import annotations

import json

import pytest

from cdk.config.api import parse_api
from cdk.config.fields import ConfigError, Section

PATH = "environments.dev.api"


def _parse(streaming: dict) -> object:
    return parse_api(Section({"streaming": streaming}, PATH)).streaming


def test_defaults_render_the_runtime_stream_contract() -> None:
    streaming = _parse({})
    from orchestrator.stream_settings import StreamSettings

    assert streaming.settings.to_environment() == {}  # all defaults: no variable (Lambda's 4 KB environment)
    assert StreamSettings.from_environment(streaming.settings.to_environment()) == StreamSettings(
        max_seconds=300, window_chars=400, min_window_chars=40, tail_chars=64)
    changed = _parse({"max_seconds": 120, "tail_chars": 64}).settings
    assert json.loads(changed.to_environment()["STREAM_CONFIG"]) == {"max_seconds": 120}
    assert StreamSettings.from_environment(changed.to_environment()) == changed
    assert streaming.web_adapter.layer_version >= 1 and streaming.lambda_reserved_concurrency == 5


@pytest.mark.parametrize(("streaming", "key", "allowed"), [
    ({"max_seconds": 901}, "max_seconds", "[30, 900]"),
    ({"max_seconds": 10}, "max_seconds", "[30, 900]"),
    ({"window_chars": 5}, "window_chars", "[20, 4000]"),
    ({"window_chars": 100, "min_window_chars": 200}, "min_window_chars", "[1, 100]"),
    ({"tail_chars": -1}, "tail_chars", "[0, 1000]"),
])
def test_out_of_range_values_name_the_key_path_and_the_allowed_range(streaming: dict, key: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as error:
        _parse(streaming)
    assert str(error.value).startswith(f"{PATH}.streaming.{key}:") and allowed in str(error.value)


def test_an_unknown_key_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"streaming\.max_secs: unknown key; did you mean 'max_seconds'"):
        _parse({"max_secs": 60})
