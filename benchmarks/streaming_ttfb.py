"""Streamed vs buffered generate: time to first byte and total time, with a fake model that writes
200 tokens at 20 ms each (issue 14's measure), one run, reported as ratios of the same run's baseline.

* Buffered: ``POST /v1/generate`` through ``handler.handler``; the fake ``Converse`` answers after 200 x 20 ms.
  Its first byte is its whole body.
* Streamed: ``POST /v1/generate/stream`` through the streaming function's HTTP app (what the Lambda Web
  Adapter fronts) on loopback, read with http.client; the fake ``ConverseStream`` sends real event-stream
  frames, one token per 20 ms.
* Both use the real safety filter from the composition root, its Comprehend calls answered in process
  after ``--screening-ms`` (default 30 ms, a typical Comprehend round trip): the buffered answer is screened
  once, the streamed one per window, while the model keeps writing (the reader runs on its own thread).

Reported: first byte (the ``start`` event) and first text (the first ``delta``) of the stream, how long after
the model wrote the first window's last token that text arrived (goal: at most 50 ms), the number of windows
screened, and total time streamed / buffered (goal: at most 1.1).

    .venv/bin/python benchmarks/streaming_ttfb.py [--tokens 200] [--token-ms 20] [--screening-ms 30] [--runs 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time

from common import ROOT, Context, generate_event, use_benchmark_environment

CALLS: dict[str, int] = {}  # Comprehend calls by operation


def tokens(count: int) -> list[str]:
    words = ["The", "board", "approved", "the", "budget", "after", "a", "long", "review", "of", "spending", "plans"]
    out = []
    for index in range(count):
        word = words[index % len(words)]
        out.append(word + (". " if index % len(words) == len(words) - 1 else " "))
    return out


def install_fakes(answer: list[str], token_seconds: float, screening_seconds: float, sent_at: list[float]) -> None:
    """botocore before-send: Converse / ConverseStream from the fake model, Comprehend after a delay."""
    import botocore.handlers
    import stub_aws
    from botocore.awsrequest import AWSResponse

    sys.path.insert(0, str(ROOT))
    from localaws.streams import FrameStream, converse_frames

    class TimedFrames(FrameStream):
        """One frame every ``delay`` on a fixed schedule (a model writes at a rate: the sleeps' own
        overshoot does not add up over 200 tokens, as the buffered fake's single sleep has none)."""

        def stream(self, **_):
            started = time.perf_counter()
            for index, chunk in enumerate(self.frames):
                if self.closed.is_set():
                    return
                time.sleep(max(0.0, started + (index + 1) * self.delay - time.perf_counter()))
                sent_at.append(time.perf_counter())
                self.sent += 1
                yield chunk

    def answer_call(request, **kwargs):
        url = request.url.split("?")[0]
        if url.endswith("/converse-stream"):
            sent_at.clear()
            frames = converse_frames(answer, input_tokens=1100)
            return AWSResponse(request.url, 200, {"Content-Type": "application/vnd.amazon.eventstream"},
                               TimedFrames(frames, token_seconds))
        if url.endswith("/converse"):
            time.sleep(token_seconds * len(answer))
            response = stub_aws._response(request, {
                "output": {"message": {"role": "assistant", "content": [{"text": "".join(answer)}]}},
                "stopReason": "end_turn", "usage": {"inputTokens": 1100, "outputTokens": len(answer), "totalTokens": 0},
                "metrics": {"latencyMs": 0}})
            return response
        if "comprehend" in url:
            target = request.headers.get("X-Amz-Target") or b""
            operation = (target.decode() if isinstance(target, bytes) else target).split(".")[-1]
            CALLS[operation] = CALLS.get(operation, 0) + 1
            time.sleep(screening_seconds)
        return stub_aws._answer(request, **kwargs)

    botocore.handlers.BUILTIN_HANDLERS.append(("before-send", answer_call))


def first_window_token(answer: list[str], limits) -> int:
    """The index of the token after which the first window is released (its text is complete)."""
    from orchestrator.streaming.windows import OutputWindows

    class Identity:
        def screen_output(self, text, screening, guardrail):
            return type("Out", (), {"text": text, "analysis": {}})()

    class Screening:
        restore = staticmethod(lambda text: text)

    windows = OutputWindows(Identity(), Screening(), guardrail=False, limits=limits, sanitize=lambda text: text)
    return next(index for index, token in enumerate(answer) if windows.feed(token))


def run_streamed(port: int, body: bytes) -> dict[str, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/v1/generate/stream", body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    marks: dict[str, float] = {}
    for raw in iter(response.readline, b""):
        if not raw.startswith(b"data:"):
            continue
        event = json.loads(raw[5:])
        now = time.perf_counter()
        marks.setdefault("first_byte", now)
        if event["type"] == "delta":
            marks.setdefault("first_text", now)
        if event["type"] in ("done", "error"):
            marks["end"], marks["last"] = now, event["type"]
            break
    connection.close()
    return {"started": started, **marks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--token-ms", type=float, default=20.0)
    parser.add_argument("--screening-ms", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    use_benchmark_environment()
    answer = tokens(args.tokens)
    sent_at: list[float] = []
    install_fakes(answer, args.token_ms / 1000, args.screening_ms / 1000, sent_at)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - EMF metrics and logs go to stdout
    report = sys.__stdout__

    import handler
    from orchestrator.streaming.server import build_server
    from orchestrator.streaming.service import StreamService

    streams = StreamService(handler.RUNTIME.service, _stream_settings())
    caller = {"identity": {"userArn": "arn:aws:iam::123456789012:user/bench"}}
    server = build_server(streams, port=0, local_request_context=caller)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    body = json.dumps({"use_case": "summarize", "input": "Summarize the board meeting.",
                       "parameters": {"max_new_tokens": 1000}}).encode()
    first_index = first_window_token(answer, streams.limits)

    buffered, streamed, overheads, first_bytes, first_texts, screenings, tails = [], [], [], [], [], [], []
    for _ in range(args.runs):
        event = generate_event("Summarize the board meeting.")
        started = time.perf_counter()
        response = handler.handler(event, Context())
        buffered.append(time.perf_counter() - started)
        assert response["statusCode"] == 200, response["body"]

        CALLS.clear()
        marks = run_streamed(port, body)
        screenings.append(CALLS.get("DetectPiiEntities", 0) - 1)  # less the input's screening
        assert marks["last"] == "done", marks
        streamed.append(marks["end"] - marks["started"])
        first_bytes.append(marks["first_byte"] - marks["started"])
        first_texts.append(marks["first_text"] - marks["started"])
        overheads.append(marks["first_text"] - sent_at[first_index + 1])  # frame 0 is messageStart
        tails.append(marks["end"] - sent_at[-1])
    server.shutdown()

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.0f} ms"

    print(f"fake model: {args.tokens} tokens x {args.token_ms:g} ms; Comprehend calls answered after "
          f"{args.screening_ms:g} ms; {args.runs} runs (medians)", file=report)
    print(f"buffered  : first byte = total {ms(buffered)}", file=report)
    print(f"streamed  : first byte {ms(first_bytes)}, first text {ms(first_texts)} "
          f"(first window complete after token {first_index + 1}), total {ms(streamed)}", file=report)
    print(f"output windows screened per stream: {statistics.median(screenings):g} (buffered: 1 screening)", file=report)
    print(f"done after the model's last frame: {ms(tails)}", file=report)
    print(f"first text after the first window's last token: {ms(overheads)} (goal <= 50 ms)", file=report)
    print(f"TTFB streamed / buffered: {statistics.median(first_texts) / statistics.median(buffered):.3f} (first text)",
          file=report)
    print(f"total streamed / buffered: {statistics.median(streamed) / statistics.median(buffered):.3f} (goal <= 1.1)",
          file=report)


def _stream_settings():
    from orchestrator.stream_settings import StreamSettings

    return StreamSettings.from_environment(os.environ)


if __name__ == "__main__":
    main()
