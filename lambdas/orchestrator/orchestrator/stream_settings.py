"""The streaming function's settings contract (stdlib only): one variable, ``STREAM_CONFIG``, a JSON
object the stack writes (:meth:`StreamSettings.to_environment`, the keys that differ from the defaults) and the
streaming entry point parses
once (:meth:`StreamSettings.from_environment`); the buffered function reads it too (its streamed
routes answer in one body) and falls back to the defaults when it is absent.

``max_seconds``       1..900: the longest a stream may run (Lambda's and API Gateway's streaming limit is 15 min)
``window_chars``      20..4000: a window is screened at the latest after this many new characters
``min_window_chars``  1..window_chars: ... or at a sentence end once this many characters can be released
``tail_chars``        0..1000: characters held back after each window and screened again with the next
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from .model_spec import ConfigError

VARIABLE = "STREAM_CONFIG"
MAX_STREAM_SECONDS = 900  # API Gateway response streaming: 15 minutes at most; Lambda timeout: 900 s
#: Each key's bounds (the cdk config reader validates `api.streaming` against the same table).
BOUNDS = {"max_seconds": (1, MAX_STREAM_SECONDS), "window_chars": (20, 4000), "min_window_chars": (1, 4000),
          "tail_chars": (0, 1000)}


@dataclass(frozen=True, slots=True)
class StreamSettings:
    max_seconds: int = 300
    window_chars: int = 400
    min_window_chars: int = 40
    tail_chars: int = 64

    def __post_init__(self) -> None:
        for name, (low, high) in BOUNDS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(f"{VARIABLE}.{name}", f"must be an integer {low}..{high}")
        if self.min_window_chars > self.window_chars:
            raise ConfigError(f"{VARIABLE}.min_window_chars", f"must be at most window_chars ({self.window_chars})")

    def to_environment(self) -> dict[str, str]:
        """Only the keys that differ from the defaults (none: no variable): Lambda's 4 KB environment limit
        counts every byte, and :meth:`from_environment` fills in the defaults."""
        changed = {key: value for key, value in asdict(self).items() if value != getattr(DEFAULTS, key)}
        return {VARIABLE: json.dumps(changed, separators=(",", ":"))} if changed else {}

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> StreamSettings:
        raw = (environ.get(VARIABLE) or "").strip()
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(VARIABLE, f"is not valid JSON ({exc.msg} at position {exc.pos})") from None
        if not isinstance(data, dict) or set(data) - set(BOUNDS):
            raise ConfigError(VARIABLE, f"must be a JSON object with keys from {sorted(BOUNDS)}")
        return cls(**data)


DEFAULTS = StreamSettings()
