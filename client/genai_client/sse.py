"""Reading Server-Sent Events: the orchestration API's streamed routes send one JSON object per
``data:`` line, events separated by a blank line (README "Streaming")."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any


def events(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """JSON events from SSE text lines (comments and fields other than ``data`` are ignored)."""
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield json.loads("\n".join(data))
                data = []
            continue
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield json.loads("\n".join(data))
