"""Fake model streams that speak the real wire format: AWS event-stream frames (the binary
framing botocore's ``EventStreamBuffer`` decodes: prelude with total and header lengths and a CRC32,
typed headers, payload, message CRC32), served chunk by chunk with delays through the FakeAws hook,
so botocore parses ConverseStream / InvokeEndpointWithResponseStream exactly as from AWS."""

from __future__ import annotations

import binascii
import json
import struct
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from botocore.awsrequest import AWSResponse


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return struct.pack("B", len(raw_name)) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message (``application/vnd.amazon.eventstream``)."""
    encoded = b"".join(_header(name, value) for name, value in headers.items())
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + encoded + payload
    return message + struct.pack(">I", binascii.crc32(message) & 0xFFFFFFFF)


def event_frame(event_type: str, body: dict[str, Any]) -> bytes:
    return frame({":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
                 json.dumps(body).encode())


def exception_frame(exception_type: str, message: str = "stream failed") -> bytes:
    return frame({":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"},
                 json.dumps({"message": message}).encode())


def converse_frames(tokens: Iterable[str], *, stop: str = "end_turn", input_tokens: int = 50,
                    output_tokens: int | None = None, fail_after: int | None = None,
                    exception: str = "throttlingException") -> list[bytes]:
    tokens = list(tokens)
    frames = [event_frame("messageStart", {"role": "assistant"})]
    for index, token in enumerate(tokens):
        if fail_after is not None and index == fail_after:
            return [*frames, exception_frame(exception)]
        frames.append(event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": token}}))
    frames.append(event_frame("contentBlockStop", {"contentBlockIndex": 0}))
    frames.append(event_frame("messageStop", {"stopReason": stop}))
    usage = {"inputTokens": input_tokens, "outputTokens": output_tokens or len(tokens),
             "totalTokens": input_tokens + (output_tokens or len(tokens))}
    frames.append(event_frame("metadata", {"usage": usage, "metrics": {"latencyMs": 100}}))
    return frames


def payload_part_frames(lines: Iterable[str], *, split: int = 7) -> list[bytes]:
    """TGI-style SSE output cut into PayloadParts at arbitrary byte offsets (``split`` bytes each)."""
    data = "".join(lines).encode()
    # PayloadPart.Bytes is the event's payload (botocore shape trait eventpayload), raw bytes.
    return [frame({":event-type": "PayloadPart", ":content-type": "application/octet-stream", ":message-type": "event"},
                  data[i : i + split])
            for i in range(0, len(data), split)]


class FrameStream:
    """The HTTP body of a streamed response: yields one frame per ``delay`` seconds; ``close()``
    (botocore's EventStream.close) stops it, as closing the connection stops the model."""

    def __init__(self, frames: list[bytes], delay: float = 0.0) -> None:
        self.frames = frames
        self.delay = delay
        self.sent = 0
        self.closed = threading.Event()

    def stream(self, **_: Any):
        for chunk in self.frames:
            if self.closed.is_set():
                return
            if self.delay:
                time.sleep(self.delay)
            if self.closed.is_set():
                return
            self.sent += 1
            yield chunk

    def close(self) -> None:
        self.closed.set()


def streamed(frames: list[bytes], *, delay: float = 0.0, record: list[FrameStream] | None = None
             ) -> Callable[[Any, dict], AWSResponse]:
    """A FakeAws handler answering a streaming operation with ``frames``."""

    def handler(request: Any, payload: dict) -> AWSResponse:
        body = FrameStream(frames, delay)
        if record is not None:
            record.append(body)
        return AWSResponse(request.url, 200, {"Content-Type": "application/vnd.amazon.eventstream",
                                              "x-amzn-RequestId": "req-1"}, body)

    return handler
