"""Section ``api.streaming``: the streamed routes (``POST /v1/generate/stream``, ``/v1/chat/stream``).

Every key has a default; an environment states only what it changes::

    "api": {"streaming": {"max_seconds": 600, "window_chars": 300}}

``max_seconds`` (30..900) bounds one stream: the streaming function's timeout and the STREAM integration's timeout
(API Gateway streams for at most 15 minutes). ``window_chars``, ``min_window_chars`` and ``tail_chars`` shape the
screened windows (the runtime contract ``lambdas/orchestrator/orchestrator/stream_settings.py`` states their
bounds once). ``lambda_reserved_concurrency`` caps concurrent streams (each holds its function for its whole
length); ``web_adapter_layer_version`` pins the Lambda Web Adapter release (``cdk/components/lambda_web_adapter``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdk.components.lambda_web_adapter.props import WebAdapterProps
from cdk.config.fields import ConfigError, Section
from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()

# isort: split
from orchestrator.stream_settings import BOUNDS, StreamSettings  # noqa: E402

#: Shorter streams are the buffered routes' job (their integration timeout is 29 s).
MIN_STREAM_SECONDS = 30


@dataclass(frozen=True)
class StreamingConfig:
    settings: StreamSettings = field(default_factory=StreamSettings)  # the runtime's STREAM_CONFIG
    web_adapter: WebAdapterProps = field(default_factory=WebAdapterProps)
    lambda_reserved_concurrency: int = 5


def parse_streaming(section: Section, *, safety_timeout_seconds: float) -> StreamingConfig:
    d = StreamingConfig()
    values = {}
    for key, (low, high) in BOUNDS.items():
        low = max(low, MIN_STREAM_SECONDS) if key == "max_seconds" else low
        values[key] = section.integer(key, getattr(d.settings, key), minimum=low, maximum=high)
    if values["min_window_chars"] > values["window_chars"]:
        raise ConfigError(section.child_path("min_window_chars"),
                          f"{values['min_window_chars']} is out of range; allowed: [1, {values['window_chars']}] "
                          "(at most window_chars)")
    if values["max_seconds"] <= safety_timeout_seconds + 1:
        raise ConfigError(section.child_path("max_seconds"),
                          f"{values['max_seconds']} leaves no time to stream after screening the last window; "
                          f"allowed: more than safety.timeout_seconds + 1 ({safety_timeout_seconds + 1:g})")
    config = StreamingConfig(
        settings=StreamSettings(**values),
        web_adapter=WebAdapterProps(
            layer_version=section.integer("web_adapter_layer_version", d.web_adapter.layer_version,
                                          minimum=1, maximum=10_000),
        ),
        lambda_reserved_concurrency=section.integer("lambda_reserved_concurrency", d.lambda_reserved_concurrency,
                                                    minimum=1, maximum=10_000),
    )
    section.finish()
    return config
