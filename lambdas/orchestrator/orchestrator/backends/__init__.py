"""Model backends: Bedrock Converse and SageMaker (TGI / LMI containers, e.g. on Inferentia).

:meth:`ModelBackends.invoke` runs one model call inside the request's deadline and maps every AWS
failure to an :class:`~orchestrator.errors.ApiError` (``errors.from_aws_error``: 429 throttled,
502 model error, 503 unavailable, 504 timeout). AWS error messages are not passed on.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..deadline import Deadline, DeadlinePassed, bound_to
from ..errors import ApiError, ModelTimeout, from_aws_error
from ..observability import propagate_trace
from ..parameters import Parameters
from ..settings import ModelSpec, Settings

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


class ModelBackends:
    """Runs model calls on its own thread pool, each inside the request's deadline (built once in
    ``handler.py`` with the clients and the guardrail the calls carry)."""

    def __init__(self, clients: Any, settings: Settings, *, max_workers: int = MAX_WORKERS) -> None:
        self._clients = clients
        self._settings = settings
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="model")

    @property
    def clients(self) -> Any:
        """The AWS clients the calls use (the streamed routes open their model streams with them)."""
        return self._clients

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def invoke(self, model: ModelSpec, request: ModelRequest, deadline: Deadline) -> ModelResult:
        if deadline.expired():
            raise ModelTimeout("no time left in the request's budget to call the model")
        return self._wait(self._submit(model, request, deadline), deadline, model)

    def invoke_many(
        self, models: Sequence[ModelSpec], request_for: Callable[[ModelSpec], ModelRequest], deadline: Deadline
    ) -> list[ModelResult | ApiError]:
        """Run the same prompt on several models at once; one failure does not fail the others."""
        futures = [(model, self._submit(model, request_for(model), deadline)) for model in models]
        results: list[ModelResult | ApiError] = []
        for model, future in futures:
            try:
                results.append(self._wait(future, deadline, model))
            except ApiError as exc:
                results.append(exc)
        return results

    def map_concurrently(self, fn: Callable[..., Any], *iterables: Sequence[Any]) -> list[Any]:
        """``[fn(*args) ...]`` on the pool, under the caller's trace, results in order."""
        return list(self._executor.map(propagate_trace(fn), *iterables))

    def _submit(self, model: ModelSpec, request: ModelRequest, deadline: Deadline) -> concurrent.futures.Future:
        return self._executor.submit(propagate_trace(self._timed_call), model, request, deadline)

    def _timed_call(self, model: ModelSpec, request: ModelRequest, deadline: Deadline) -> ModelResult:
        # A call queued behind others (a busy pool) never starts once the response has been sent.
        if deadline.expired():
            raise ModelTimeout(f"model {model.id} was not called: the request's time budget had run out")
        with bound_to(deadline):
            return self._call(model, request)

    def _call(self, model: ModelSpec, request: ModelRequest) -> ModelResult:
        try:
            if model.backend == "bedrock":
                from . import bedrock

                return bedrock.invoke(self._clients.client("bedrock-runtime"), model, request, self._settings)
            from . import sagemaker

            return sagemaker.invoke(self._clients.client("sagemaker-runtime"), model, request)
        except ApiError:
            raise
        except DeadlinePassed:
            raise ModelTimeout(f"model {model.id} did not answer within the request's time budget") from None
        except Exception as exc:  # noqa: BLE001 - botocore errors and anything else a backend raises become API errors
            raise from_aws_error(exc, model=model) from None

    @staticmethod
    def _wait(future: concurrent.futures.Future, deadline: Deadline, model: ModelSpec) -> ModelResult:
        """The result, or :class:`ModelTimeout` when the deadline passes first (the call is left to
        finish in the background; its result is dropped)."""
        try:
            return future.result(timeout=deadline.remaining())
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ModelTimeout(
                f"model {model.id} did not answer within the request's time budget; "
                "try a smaller max_new_tokens or a shorter input",
            ) from None


def elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 1)
