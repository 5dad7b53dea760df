"""Warm per-request overhead of the orchestrator, AWS stubbed in-process at zero latency.

``POST /v1/generate`` with a 4 KB input through ``handler.handler`` with the real safety filter
(input: language, PII, toxicity; output: PII, toxicity: 5 Comprehend calls) and one Converse
call, all answered by ``stub_aws``. Logging and EMF metrics stay on (stdout is sent to
/dev/null). Two baselines, answered by the same stub and measured interleaved with it (each
iteration runs the three in turn, rotating the order) so machine load hits all of them alike:

* ``bare_converse``: one botocore ``converse`` call (the model call alone);
* ``aws_calls``: the six calls the request makes, made one after another in the calling thread
  on the handler's own clients (what botocore costs; the rest is the orchestrator's).

The run is split into ``--rounds`` rounds; each round's p50/p99 are computed and the median over
rounds is reported with its spread (min-max), so one noisy moment shows as spread, not as the result.

    .venv/bin/python benchmarks/warm_overhead.py --requests 400 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from common import MODEL, Context, generate_event, stubbed_handler


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure_interleaved(variants: dict[str, Callable[[], None]], count: int, warmup: int) -> dict[str, list[float]]:
    """``count`` samples (ms) of each variant; each iteration runs every variant once, in a rotating order."""
    names = list(variants)
    for _ in range(warmup):
        for name in names:
            variants[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(count):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            variants[name]()
            samples[name].append((time.perf_counter() - start) * 1000.0)
    return samples


def summarize(rounds: list[dict[str, list[float]]], name: str, q: float) -> dict[str, float]:
    values = [percentile(r[name], q) for r in rounds]
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()

    with stubbed_handler() as handler:
        event = generate_event()
        text = json.loads(event["body"])["input"]

        def generate() -> None:
            response = handler.handler(event, Context())
            if response["statusCode"] != 200:
                raise SystemExit(response["body"])

        bedrock = handler.RUNTIME.clients.client("bedrock-runtime")
        comprehend = handler.RUNTIME.clients.client("comprehend")
        messages = [{"role": "user", "content": [{"text": text}]}]
        segments = [{"Text": text[i : i + 1000]} for i in range(0, len(text), 1000)]

        def bare_converse() -> None:
            bedrock.converse(modelId=MODEL, messages=messages, inferenceConfig={"maxTokens": 512})

        def aws_calls() -> None:
            comprehend.detect_dominant_language(Text=text)
            for _phase in ("input", "output"):
                comprehend.detect_pii_entities(Text=text, LanguageCode="en")
                comprehend.detect_toxic_content(TextSegments=segments, LanguageCode="en")
            bare_converse()

        variants = {"generate": generate, "aws_calls": aws_calls, "bare_converse": bare_converse}
        rounds = [measure_interleaved(variants, args.requests, args.warmup if i == 0 else 0) for i in range(args.rounds)]

    result: dict[str, object] = {
        "requests_per_round": args.requests,
        "rounds": args.rounds,
        "input_bytes": len(text.encode()),
    }
    for name in variants:
        result[f"{name}_ms"] = {"p50": summarize(rounds, name, 50), "p99": summarize(rounds, name, 99)}
    for q, label in ((50, "p50"), (99, "p99")):
        ratios = {
            base: [percentile(r["generate"], q) / percentile(r[base], q) for r in rounds]
            for base in ("aws_calls", "bare_converse")
        }
        result[f"ratio_{label}"] = {
            f"generate_vs_{base}": {"median": round(statistics.median(v), 2), "min": round(min(v), 2), "max": round(max(v), 2)}
            for base, v in ratios.items()
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
