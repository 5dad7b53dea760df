"""Model backends: Bedrock Converse and SageMaker (TGI / LMI containers, e.g. on Inferentia).

``invoke`` runs one model call inside the request's deadline and maps every AWS failure to an
:class:`~orchestrator.errors.ApiError` (429 throttled, 502 model error, 503 unavailable, 504
timeout). AWS error messages are not passed on: they may quote the request.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..deadline import Deadline
from ..errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    ApiError,
    DependencyUnavailable,
    ModelError,
    ModelTimeout,
    Throttled,
)
from ..observability import propagate_trace
from ..parameters import Parameters
from ..settings import ModelSpec

MAX_WORKERS = 8  # compare: at most 4 models per request


@dataclass(frozen=True, slots=True)
class ModelRequest:
    system: str
    turns: Sequence[tuple[str, str]]  # ("user" | "assistant", text); alternating, user first and last
    params: Parameters
    image: tuple[str, bytes] | None = None  # (png | jpeg, raw bytes), sent with the last user turn


@dataclass(frozen=True, slots=True)
class ModelResult:
    text: str
    input_tokens: int
    output_tokens: int
    stop_reason: str
    latency_ms: float
    estimated: tuple[str, ...] = field(default=())  # usage fields that are estimates

    def usage(self) -> dict[str, Any]:
        usage: dict[str, Any] = {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens}
        if self.estimated:
            usage["estimated"] = list(self.estimated)
        return usage


_executor: concurrent.futures.ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def executor() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                _executor = concurrent.futures.ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="model")
    return _executor


def _call(model: ModelSpec, request: ModelRequest, settings: Any) -> ModelResult:
    if model.backend == "bedrock":
        from . import bedrock

        return bedrock.invoke(model, request, settings)
    from . import sagemaker

    return sagemaker.invoke(model, request)


def submit(model: ModelSpec, request: ModelRequest, settings: Any) -> concurrent.futures.Future:
    return executor().submit(propagate_trace(_timed_call), model, request, settings)


def _timed_call(model: ModelSpec, request: ModelRequest, settings: Any) -> ModelResult:
    try:
        return _call(model, request, settings)
    except ApiError:
        raise
    except Exception as exc:  # noqa: BLE001 - botocore errors and anything else a backend raises become API errors
        raise map_aws_error(exc, model) from None


def wait(future: concurrent.futures.Future, deadline: Deadline, model: ModelSpec) -> ModelResult:
    """The result, or :class:`ModelTimeout` when the deadline passes first (the call is left to
    finish in the background; its result is dropped)."""
    try:
        return future.result(timeout=deadline.remaining())
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise ModelTimeout(
            f"model {model.id} did not answer within the request's time budget; try a smaller max_new_tokens or a shorter input",
        ) from None


def invoke(model: ModelSpec, request: ModelRequest, deadline: Deadline, settings: Any) -> ModelResult:
    if deadline.expired():
        raise ModelTimeout("no time left in the request's budget to call the model")
    return wait(submit(model, request, settings), deadline, model)


def invoke_many(
    models: Sequence[ModelSpec], request_for: Callable[[ModelSpec], ModelRequest], deadline: Deadline, settings: Any
) -> list[ModelResult | ApiError]:
    """Run the same prompt on several models at once; one failure does not fail the others."""
    futures = [(model, submit(model, request_for(model), settings)) for model in models]
    results: list[ModelResult | ApiError] = []
    for model, future in futures:
        try:
            results.append(wait(future, deadline, model))
        except ApiError as exc:
            results.append(exc)
    return results


def map_concurrently(fn: Callable[..., Any], *iterables: Sequence[Any]) -> list[Any]:
    """``[fn(*args) ...]`` on the shared pool, under the caller's trace, results in order."""
    return list(executor().map(propagate_trace(fn), *iterables))


# --------------------------------------------------------------------------- error mapping
_THROTTLE_CODES = {
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "ServiceQuotaExceededException",
    "ModelNotReadyException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
}
_TIMEOUT_CODES = {"ModelTimeoutException", "RequestTimeout", "RequestTimeoutException"}
_UNAVAILABLE_CODES = {
    "ServiceUnavailableException",
    "ServiceUnavailable",
    "AccessDeniedException",
    "ResourceNotFoundException",
    "UnrecognizedClientException",
    "ExpiredTokenException",
    "InternalDependencyException",
}


def map_aws_error(exc: Exception, model: ModelSpec | None = None, dependency: str | None = None) -> ApiError:
    """botocore exception -> ApiError. The AWS message is dropped (it may echo the request)."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    what = f"model {model.id}" if model is not None else (dependency or "a dependency")
    if isinstance(exc, ReadTimeoutError):
        if model is None:
            return DependencyUnavailable(f"{what} did not answer in time; try again", retry_after=DEFAULT_RETRY_AFTER_SECONDS)
        return ModelTimeout(f"{what} did not answer in time")
    if isinstance(exc, (ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError)):
        return DependencyUnavailable(f"{what} could not be reached; try again later", retry_after=DEFAULT_RETRY_AFTER_SECONDS)
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        extra = {"upstream_code": code} if code else {}
        if code in _THROTTLE_CODES or status == 429:
            return Throttled(
                f"{what} is throttled after retries; retry after the delay in the Retry-After header",
                retry_after=DEFAULT_RETRY_AFTER_SECONDS,
                extra=extra,
            )
        if model is not None and (code in _TIMEOUT_CODES or status == 408):
            return ModelTimeout(f"{what} did not finish in time", extra=extra)
        if model is None or code in _UNAVAILABLE_CODES or status in (401, 403, 404, 503):
            return DependencyUnavailable(f"{what} is not available right now", extra=extra)
        return ModelError(f"{what} returned an error", extra=extra)
    if model is None:
        return DependencyUnavailable(f"{what} failed ({type(exc).__name__})")
    return ModelError(f"{what} failed ({type(exc).__name__})")


def elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 1)
