"""API errors: every failure the client can see is one of these, rendered as
``{"error": {"code", "message", "field"?}, "request_id"}``.

Messages name fields, ranges, counts and sizes; they never echo request or model text.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    status: int = 500
    code: str = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.retry_after = retry_after
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        error.update(self.extra)
        return error

    def headers(self) -> dict[str, str]:
        if self.retry_after is not None:
            return {"Retry-After": str(self.retry_after)}
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, field={self.field!r})"


def _kind(name: str, status: int, code: str, doc: str | None = None) -> type[ApiError]:
    """An :class:`ApiError` subclass that only fixes the status and code: one table row per kind,
    instead of a four-line class each; ``except``/``isinstance`` work as with a class statement."""
    return type(name, (ApiError,), {"status": status, "code": code, "__doc__": doc, "__module__": __name__})


ValidationError = _kind("ValidationError", 400, "validation_error")
Forbidden = _kind("Forbidden", 403, "forbidden")
NotFound = _kind("NotFound", 404, "not_found")
MethodNotAllowed = _kind("MethodNotAllowed", 405, "method_not_allowed")
PayloadTooLarge = _kind("PayloadTooLarge", 413, "payload_too_large")
Blocked = _kind(
    "Blocked", 422, "blocked_by_safety", "A safety check (ours, the safety package's or the Bedrock guardrail) blocked the text."
)
Throttled = _kind("Throttled", 429, "throttled")
ModelError = _kind("ModelError", 502, "model_error")
DependencyUnavailable = _kind("DependencyUnavailable", 503, "dependency_unavailable")
ModelTimeout = _kind("ModelTimeout", 504, "model_timeout")


#: The statuses a failed dependency may produce (429 is its throttling).
DEPENDENCY_STATUSES = (502, 503, 504)
#: Seconds a throttled client is told to wait (AWS model APIs send no Retry-After of their own).
DEFAULT_RETRY_AFTER_SECONDS = 2


def from_safety_error(exc: Any, *, field_map: dict[str, str] | None = None) -> ApiError:
    """Map a ``safety.SafetyError`` (by its documented attributes, not its class, so a fake
    or a newer safety package works the same) to an :class:`ApiError`."""
    status = int(getattr(exc, "status", 503) or 503)
    if status >= 500 and status not in DEPENDENCY_STATUSES:
        status = 503  # a safety dependency failed: never a bare 500
    field = getattr(exc, "field", None)
    if field is not None and field_map:
        field = field_map.get(field, field)
    extra: dict[str, Any] = {}
    check = getattr(exc, "check", None)
    if check:
        extra["check"] = check
    details = getattr(exc, "details", None)
    if details:
        # The safety package promises types, labels, counts and policy names only.
        extra["details"] = details
    retry_after = None
    if status == 429:
        retry_after = DEFAULT_RETRY_AFTER_SECONDS
    return ApiError(
        str(getattr(exc, "message", "safety check failed")),
        field=field,
        code=str(getattr(exc, "code", "safety_error")),
        status=status,
        retry_after=retry_after,
        extra=extra,
    )


def from_aws_error(exc: Exception, *, model: Any = None, dependency: str | None = None) -> ApiError:
    """A botocore failure (classified by ``aws_errors``) -> ApiError. The AWS message is dropped
    (it may echo the request): throttled -> 429 with ``Retry-After``; unreachable or unavailable ->
    503; a model's timeout -> 504; any other model failure -> 502; any other dependency failure -> 503."""
    from aws_errors import Failure, classify

    what = f"model {model.id}" if model is not None else (dependency or "a dependency")
    classified = classify(exc)
    kind = classified.kind
    extra = {"upstream_code": classified.code} if classified.code else {}
    if kind is Failure.THROTTLED:
        return Throttled(
            f"{what} is throttled after retries; retry after the delay in the Retry-After header",
            retry_after=DEFAULT_RETRY_AFTER_SECONDS,
            extra=extra,
        )
    if kind is Failure.UNREACHABLE:
        return DependencyUnavailable(f"{what} could not be reached; try again later", retry_after=DEFAULT_RETRY_AFTER_SECONDS)
    if kind is Failure.TIMEOUT and classified.timed_out:
        if model is None:
            return DependencyUnavailable(f"{what} did not answer in time; try again", retry_after=DEFAULT_RETRY_AFTER_SECONDS)
        return ModelTimeout(f"{what} did not answer in time")
    if classified.code is None and classified.status is None:  # not an AWS answer: a local failure
        if model is None:
            return DependencyUnavailable(f"{what} failed ({type(exc).__name__})")
        return ModelError(f"{what} failed ({type(exc).__name__})")
    if model is not None and kind is Failure.TIMEOUT:
        return ModelTimeout(f"{what} did not finish in time", extra=extra)
    if model is None or kind is Failure.UNAVAILABLE:
        return DependencyUnavailable(f"{what} is not available right now", extra=extra)
    return ModelError(f"{what} returned an error", extra=extra)


def no_model_answered(slots: list[dict[str, Any]]) -> ApiError:
    """``POST /v1/compare`` when no slot has an answer: every slot failed for one reason -> that
    reason (its status and code; ``Retry-After`` the longest any slot asked for); mixed reasons ->
    502 ``no_model_answered``. ``error.results`` lists each slot's model, status and code."""
    results = [{"model": slot["model"], "status": slot["status"], "code": slot["error"]["code"]} for slot in slots]
    statuses = {slot["status"] for slot in slots}
    codes = {slot["error"]["code"] for slot in slots}
    if len(statuses) == 1 and len(codes) == 1:
        status, code = statuses.pop(), codes.pop()
        waits = [int(slot["retry_after"]) for slot in slots if slot.get("retry_after") is not None]
        return ApiError(
            f"every model failed the same way ({code}); see error.results",
            status=status,
            code=code,
            retry_after=max(waits) if waits else None,
            extra={"results": results},
        )
    message = "no model answered, for different reasons; see error.results"
    return ApiError(message, status=502, code="no_model_answered", extra={"results": results})
