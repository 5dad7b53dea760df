"""The request's time budget: min(REQUEST_DEADLINE_SECONDS, the Lambda's remaining time)
minus a margin for screening the model's answer and writing the response
(``Service.deadline``), so a slow model ends as a clean 504 from the handler, never as an API
Gateway timeout.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
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


# --------------------------------------------------------------------------- AWS calls inside the deadline
# Issue 12 item 11: after the handler has answered at its deadline, nothing may start another AWS
# call (Lambda freezes the environment after the response; a retry would start when it thaws, a
# second billed call nobody reads). The deadline of the request a thread works for is bound with
# :func:`bound_to`; the botocore hooks below (registered on every client by ``clients.py``) read it.
#
# Verified in the installed botocore (1.44.x, endpoint.py / httpsession.py): ``before-send`` is
# emitted before every attempt (the first and each retry, after the back-off sleep) and an
# exception raised there ends the attempt without sending; ``needs-retry`` handlers are consulted
# after each attempt and the first non-None answer wins (``False``: no retry), so a handler
# registered first overrides the retry mode's decision; ``URLLib3Session`` reads a per-request
# ``read_timeout`` from ``request.context`` (the operation context) for that attempt.

_BOUND: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("request_deadline", default=None)


class DeadlinePassed(Exception):
    """An AWS call was about to start after the request's deadline (it was not sent)."""


@contextlib.contextmanager
def bound_to(deadline: Deadline) -> Iterator[None]:
    """AWS calls made by this thread inside the block are bounded by ``deadline``."""
    token = _BOUND.set(deadline)
    try:
        yield
    finally:
        _BOUND.reset(token)


def refuse_late_attempt(request: Any = None, **_: Any) -> None:
    """``before-send``: no attempt starts after the deadline; each attempt's read timeout is at
    most the time left (so a slow answer ends the attempt at the deadline, not ``read_timeout`` later)."""
    deadline = _BOUND.get()
    if deadline is None:
        return
    remaining = deadline.remaining()
    if remaining <= 0.0:
        raise DeadlinePassed("the request's deadline has passed; the AWS call was not started")
    context = getattr(request, "context", None)
    if isinstance(context, dict):
        context["read_timeout"] = min(remaining, context.get("read_timeout") or remaining)


def no_retry_after_deadline(**_: Any) -> bool | None:
    """``needs-retry`` (registered first): never retry once the deadline has passed."""
    deadline = _BOUND.get()
    if deadline is not None and deadline.expired():
        return False
    return None
