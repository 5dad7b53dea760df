"""The request's time budget: min(REQUEST_DEADLINE_SECONDS, the Lambda's remaining time)
minus a margin for screening the model's answer and writing the response
(``Service.deadline``), so a slow model ends as a clean 504 from the handler, never as an API
Gateway timeout.
"""

from __future__ import annotations

import time
from typing import Any

#: Kept back for history writes and serialising the response (output screening comes on top).
RESPONSE_MARGIN_SECONDS = 1.0


class Deadline:
    __slots__ = ("_end",)

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + max(0.0, seconds)

    @classmethod
    def for_request(cls, deadline_seconds: float, context: Any, margin: float = RESPONSE_MARGIN_SECONDS) -> Deadline:
        budget = deadline_seconds
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        if callable(remaining_ms):
            budget = min(budget, remaining_ms() / 1000.0)
        return cls(budget - margin)

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def expired(self) -> bool:
        return self.remaining() <= 0.0
