"""The model's answer as it is written, for both backends, as :class:`Piece` items on a queue.

* Bedrock ``ConverseStream`` (botocore bedrock-runtime 2023-09-30 model, checked in the installed
  botocore 1.44.8): events ``messageStart``, ``contentBlockDelta.delta.text``, ``messageStop.stopReason``,
  ``metadata.usage``; in-stream exceptions (``throttlingException``, ``modelStreamErrorException``,
  ``validationException``, ``internalServerException``, ``serviceUnavailableException``) raise
  ``botocore.exceptions.EventStreamError`` while iterating. ``guardrailConfig.streamProcessingMode``
  takes ``sync`` | ``async``: ``sync`` has the guardrail scan each chunk before Bedrock sends it.
* SageMaker ``InvokeEndpointWithResponseStream`` (sagemaker-runtime 2017-05-13): ``Body`` events
  ``PayloadPart.Bytes`` (arbitrary byte splits of the container's output), ``ModelStreamError``,
  ``InternalStreamFailure``. TGI (``"stream": true``) writes SSE lines ``data:{"token": {"text"}, ...}``
  whose last carries ``details.finish_reason`` / ``generated_tokens``; LMI writes JSON lines of the same
  shape (its TGI-compatible output). Both are read line by line.

A reader thread iterates the botocore event stream and puts pieces on a queue, so the model keeps
writing while a window is screened. :meth:`ModelStream.close` stops the reader and closes the HTTP
response: a caller that goes away stops the generation (and its token cost) at the next chunk.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..backends import ModelRequest, elapsed_ms
from ..backends.bedrock import _BLOCKED, _FAILED, build_request
from ..backends.sagemaker import _STOP_REASONS, CHARS_PER_TOKEN, build_body
from ..deadline import Deadline, bound_to
from ..errors import ApiError, Blocked, ModelError, ModelTimeout, from_aws_error
from ..settings import ModelSpec

#: ``guardrailConfig.streamProcessingMode`` for ConverseStream: the guardrail checks each chunk before
#: Bedrock releases it (botocore shape GuardrailStreamProcessingMode: sync | async).
GUARDRAIL_STREAM_MODE = "sync"


@dataclass(frozen=True, slots=True)
class Piece:
    kind: str  # text | stop | usage | error | end
    text: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    estimated: tuple[str, ...] = ()
    error: ApiError | None = None


class ModelStream:
    """Iterate for :class:`Piece` items until ``end`` or ``error``; always :meth:`close` it."""

    def __init__(self, events: Any, parse: Any, model: ModelSpec, deadline: Deadline) -> None:
        self._events = events  # the botocore EventStream
        self._parse = parse  # botocore event -> Piece iterator
        self._model = model
        self._deadline = deadline
        self._queue: queue.Queue[Piece] = queue.Queue()
        self._closed = threading.Event()
        self.started = time.perf_counter()
        self._thread = threading.Thread(target=self._read, name="model-stream", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self._events:
                if self._closed.is_set():
                    return
                for piece in self._parse(raw):
                    self._queue.put(piece)
            self._queue.put(Piece("end"))
        except ApiError as exc:
            self._queue.put(Piece("error", error=exc))
        except Exception as exc:  # noqa: BLE001 - mid-stream AWS errors (EventStreamError) and read failures
            if not self._closed.is_set():
                self._queue.put(Piece("error", error=from_aws_error(exc, model=self._model)))

    def __iter__(self) -> Iterator[Piece]:
        while True:
            try:
                piece = self._queue.get(timeout=self._deadline.remaining())
            except queue.Empty:
                yield Piece("error", error=ModelTimeout(
                    f"model {self._model.id} did not finish within the stream's time limit (api.streaming.max_seconds)"))
                return
            yield piece
            if piece.kind in ("end", "error"):
                return

    @property
    def latency_ms(self) -> float:
        return elapsed_ms(self.started)

    def close(self) -> None:
        """Stop reading and close the model's HTTP response (no more tokens are generated for us)."""
        if self._closed.is_set():
            return
        self._closed.set()
        close = getattr(self._events, "close", None)
        if callable(close):
            with contextlib.suppress(Exception):  # closing a broken stream: nothing left to release
                close()


# --------------------------------------------------------------------------- Bedrock
def open_bedrock(client: Any, model: ModelSpec, request: ModelRequest, settings: Any, deadline: Deadline) -> ModelStream:
    body = build_request(model, request, settings)
    body["guardrailConfig"]["streamProcessingMode"] = GUARDRAIL_STREAM_MODE
    try:
        with bound_to(deadline):  # no attempt starts after the stream's deadline (deadline.py)
            response = client.converse_stream(**body)
    except Exception as exc:  # noqa: BLE001 - the call itself failed: the caller answers with a status
        raise from_aws_error(exc, model=model) from None
    return ModelStream(response["stream"], _converse_pieces(model), model, deadline)


def _converse_pieces(model: ModelSpec) -> Any:
    def parse(event: dict[str, Any]) -> Iterator[Piece]:
        if "contentBlockDelta" in event:
            text = event["contentBlockDelta"].get("delta", {}).get("text")
            if text:
                yield Piece("text", text=text)
        elif "messageStop" in event:
            reason = event["messageStop"].get("stopReason", "")
            if reason in _BLOCKED:
                check = _BLOCKED[reason]
                raise Blocked(f"the model's answer was blocked by the {check.replace('_', ' ')}", extra={"check": check})
            if reason in _FAILED:
                raise ModelError(f"model {model.id} could not complete the answer ({reason})")
            yield Piece("stop", text=reason)
        elif "metadata" in event:
            usage = event["metadata"].get("usage", {})
            yield Piece("usage", input_tokens=int(usage.get("inputTokens", 0)), output_tokens=int(usage.get("outputTokens", 0)))

    return parse


# --------------------------------------------------------------------------- SageMaker (TGI / LMI)
def open_sagemaker(client: Any, model: ModelSpec, request: ModelRequest, deadline: Deadline) -> ModelStream:
    body = build_body(model, request)
    body["stream"] = True
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    try:
        with bound_to(deadline):
            response = client.invoke_endpoint_with_response_stream(
                EndpointName=model.endpoint, ContentType="application/json", Accept="application/json", Body=payload
            )
    except Exception as exc:  # noqa: BLE001
        raise from_aws_error(exc, model=model) from None
    return ModelStream(response["Body"], _TextGenerationLines(model, len(body["inputs"])), model, deadline)


class _TextGenerationLines:
    """PayloadPart bytes -> lines -> token pieces (a UTF-8 character or a line may span parts)."""

    def __init__(self, model: ModelSpec, prompt_chars: int) -> None:
        self._model = model
        self._prompt_chars = prompt_chars
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._chars = 0

    def __call__(self, event: dict[str, Any]) -> Iterator[Piece]:
        if "ModelStreamError" in event or "InternalStreamFailure" in event:
            raise ModelError(f"model {self._model.id} failed while generating")
        part = event.get("PayloadPart", {}).get("Bytes", b"")
        self._pending += self._decoder.decode(part)
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            yield from self._line(line.strip())

    def _line(self, line: str) -> Iterator[Piece]:
        line = line.removeprefix("data:").strip()
        if not line or line.startswith(":"):
            return
        try:
            data = json.loads(line)
        except ValueError:
            raise ModelError(f"model {self._model.id} streamed a line that is not JSON") from None
        if isinstance(data, list):
            data = data[0] if data else {}
        token = data.get("token") if isinstance(data, dict) else None
        if isinstance(token, dict) and isinstance(token.get("text"), str) and not token.get("special"):
            self._chars += len(token["text"])
            yield Piece("text", text=token["text"])
        details = data.get("details") if isinstance(data, dict) else None
        if isinstance(details, dict):
            finish = str(details.get("finish_reason") or "")
            if finish == "error":
                raise ModelError(f"model {self._model.id} failed while generating")
            generated = details.get("generated_tokens")
            estimated = ("input_tokens",) if isinstance(generated, int) else ("input_tokens", "output_tokens")
            output = generated if isinstance(generated, int) else max(1, self._chars // CHARS_PER_TOKEN)
            yield Piece("usage", input_tokens=max(1, self._prompt_chars // CHARS_PER_TOKEN), output_tokens=output,
                        estimated=estimated)
            yield Piece("stop", text=_STOP_REASONS.get(finish, finish or "end_turn"))
