"""Warm per-request overhead of the orchestrator, AWS stubbed in-process at zero latency.

``POST /v1/generate`` with a 4 KB input through ``handler.handler`` with the real safety filter
(input: language, PII, toxicity; output: PII, toxicity: 5 Comprehend calls) and one Converse
call, all answered by ``stub_aws``. Logging and EMF metrics stay on (stdout is sent to
/dev/null). For scale, the same stub answers a bare botocore ``converse`` call, measured the same
way: the difference is what the orchestrator adds around one model call.

    .venv/bin/python benchmarks/warm_overhead.py --requests 500
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from common import MODEL, Context, generate_event, stubbed_handler


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure(fn, count: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()

    with stubbed_handler() as handler:
        event = generate_event()

        def generate() -> None:
            response = handler.handler(event, Context())
            if response["statusCode"] != 200:
                raise SystemExit(response["body"])

        bedrock = handler.RUNTIME.clients.client("bedrock-runtime")
        messages = [{"role": "user", "content": [{"text": event["body"]}]}]

        def bare_converse() -> None:
            bedrock.converse(modelId=MODEL, messages=messages, inferenceConfig={"maxTokens": 512})

        bare = measure(bare_converse, args.requests, args.warmup)
        full = measure(generate, args.requests, args.warmup)

    result = {
        "requests": args.requests,
        "input_bytes": len(json.loads(generate_event()["body"])["input"].encode()),
        "generate_ms": {"p50": round(statistics.median(full), 2), "p99": round(percentile(full, 99), 2)},
        "bare_converse_ms": {"p50": round(statistics.median(bare), 2), "p99": round(percentile(bare, 99), 2)},
    }
    result["added_over_bare_converse_ms"] = {
        "p50": round(result["generate_ms"]["p50"] - result["bare_converse_ms"]["p50"], 2),
        "p99": round(result["generate_ms"]["p99"] - result["bare_converse_ms"]["p99"], 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
