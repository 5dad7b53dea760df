"""Errors raised by the safety filters.

Every error carries what an HTTP layer needs (``status``, ``code``, ``message``, ``field``,
``retryable``, ``check``) and nothing else: messages never contain the screened text, a PII
value, or a dependency's own error message (which may echo the request).
"""

from __future__ import annotations

from typing import Any


class SafetyError(Exception):
    """Base class. ``to_dict()`` is the JSON error body (without the request id)."""

    status: int = 500
    code: str = "safety_error"
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        field: str | None = None,
        check: str | None = None,
        retryable: bool | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if retryable is not None:
            self.retryable = retryable
        self.field = field
        self.check = check
        # Only types, counts, labels and policy names: never text.
        self.details: dict[str, Any] = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "retryable": self.retryable,
        }
        if self.field is not None:
            body["field"] = self.field
        if self.check is not None:
            body["check"] = self.check
        if self.details:
            body["details"] = self.details
        return body

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, check={self.check!r})"


class InputRejected(SafetyError):
    """The text itself is unacceptable: 400 (bad input) or 413 (too long). Not retryable."""

    status = 400
    code = "invalid_input"
    retryable = False


class SafetyBlocked(SafetyError):
    """A check decided the text must not pass: 422, code ``blocked_by_safety``.

    ``check`` is ``"pii"``, ``"toxicity"`` or ``"guardrail"``; ``details`` names entity types,
    labels or guardrail policies, never the blocked text.
    """

    status = 422
    code = "blocked_by_safety"
    retryable = False


class SafetyUnavailable(SafetyError):
    """A check could not run (throttled, timed out, errored): nothing unchecked passes.

    503 (``safety_unavailable`` / ``safety_timeout``) or 429 (``safety_throttled``); retryable.
    """

    status = 503
    code = "safety_unavailable"
    retryable = True
