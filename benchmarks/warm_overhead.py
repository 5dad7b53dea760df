"""Warm per-request overhead of the orchestrator, AWS stubbed in-process at zero latency.

``POST /v1/generate`` with a 4 KB input through ``handler.handler`` with the real safety filter
(input: language, PII, toxicity; output: PII, toxicity: 5 Comprehend calls) and one Converse
call, all answered by ``stub_aws``; with ``--language en`` the request names its text's language
(no detection call: 4 Comprehend calls). Logging and EMF metrics stay on (stdout is sent to
/dev/null). Two baselines, answered by the same stub and measured interleaved with it (each
iteration runs the three in turn, rotating the order) so machine load hits all of them alike:

* ``bare_converse``: one botocore ``converse`` call (the model call alone);
* ``aws_calls``: the calls the request makes (six; five with ``--language``), made one after another
  in the calling thread on the handler's own clients (what botocore costs; the rest is the orchestrator's).

The run is split into ``--rounds`` rounds; each round's percentiles are computed and the median over
rounds is reported with its spread (min-max), so one noisy moment shows as spread, not as the result.
Each call's process CPU time (all threads) is recorded too (``*_cpu_ms``, and ``overhead_cpu_ms``): on a
shared machine wall time includes waiting for a core, CPU time does not.

``--before DIR`` compares two versions of the function in the same run: ``DIR`` is another checkout's
``lambdas/orchestrator`` folder (e.g. main's, unpacked with ``git archive``); ``--after DIR`` replaces
this checkout's. Each version runs in its own child process (same stub, same baselines); the parent
hands them chunks of ``--chunk`` iterations in turn, alternating which goes first, so both see the same
machine load. Reported per version, and ``after_vs_before`` as the per-round ratio of the two generates.

    .venv/bin/python benchmarks/warm_overhead.py --requests 400 --rounds 5
    git archive main lambdas/orchestrator | tar -x -C /tmp/before
    .venv/bin/python benchmarks/warm_overhead.py --before /tmp/before/lambdas/orchestrator
    sudo .venv/bin/python benchmarks/warm_overhead.py --before /tmp/before/lambdas/orchestrator --realtime

``--realtime`` (SCHED_FIFO, root) keeps other processes from preempting the run: on a shared machine the wall
tails are otherwise the other tenants' (Linux keeps 5% of each second for them: ``sched_rt_runtime_us``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import MODEL, ORCHESTRATOR_DIR, Context, generate_event, stubbed_handler

QUANTILES = (50, 95, 99)
Samples = dict[str, list[float]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure_interleaved(variants: dict[str, Callable[[], None]], count: int, warmup: int, offset: int = 0) -> Samples:
    """``count`` samples (ms) of each variant; each iteration runs every variant once, in a rotating order."""
    names = list(variants)
    for _ in range(warmup):
        for name in names:
            variants[name]()
    samples: Samples = {key: [] for name in names for key in (name, f"{name}_cpu")}
    for i in range(offset, offset + count):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            cpu, start = time.process_time(), time.perf_counter()
            variants[name]()
            samples[name].append((time.perf_counter() - start) * 1000.0)
            samples[f"{name}_cpu"].append((time.process_time() - cpu) * 1000.0)
    return samples


def spread(values: list[float], digits: int = 3) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def summarize(rounds: list[Samples], name: str, q: float) -> dict[str, float]:
    return spread([percentile(r[name], q) for r in rounds])


def make_variants(handler: Any, language: str | None = None) -> tuple[dict[str, Callable[[], None]], str]:
    """The request and its two baselines on the handler's own clients; and the input text. With a
    ``language`` the request names its text's language, so it (and ``aws_calls``) makes no detection call."""
    event = generate_event(language=language)
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
        if language is None:
            comprehend.detect_dominant_language(Text=text)
        for _phase in ("input", "output"):
            comprehend.detect_pii_entities(Text=text, LanguageCode="en")
            comprehend.detect_toxic_content(TextSegments=segments, LanguageCode="en")
        bare_converse()

    return {"generate": generate, "aws_calls": aws_calls, "bare_converse": bare_converse}, text


def report(rounds: list[Samples]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in rounds[0]:
        # *_cpu: the process's CPU time (every thread's), immune to waiting for a core (not to being slowed by
        # other processes sharing the caches), so its tail is the work's own much more than wall time's.
        result[f"{name}_ms"] = {f"p{q}": summarize(rounds, name, q) for q in QUANTILES}
    for suffix in ("", "_cpu"):
        result[f"overhead{suffix}_ms"] = {
            f"p{q}": spread([percentile(r[f"generate{suffix}"], q) - percentile(r[f"aws_calls{suffix}"], q) for r in rounds])
            for q in QUANTILES
        }
    result["ratio"] = {
        f"generate_vs_{base}": {
            f"p{q}": spread([percentile(r["generate"], q) / percentile(r[base], q) for r in rounds], 2) for q in QUANTILES
        }
        for base in ("aws_calls", "bare_converse")
    }
    return result


# --------------------------------------------------------------------------- one version in-process
def run_single(args: argparse.Namespace) -> None:
    with stubbed_handler() as handler:
        variants, text = make_variants(handler, args.language)
        rounds = [measure_interleaved(variants, args.requests, args.warmup if i == 0 else 0) for i in range(args.rounds)]
    header = {"requests_per_round": args.requests, "rounds": args.rounds, "input_bytes": len(text.encode())}
    header["language"] = args.language
    print(json.dumps({**header, **report(rounds)}, indent=2))


# --------------------------------------------------------------------------- two versions, interleaved
def serve(orchestrator_dir: Path, warmup: int, language: str | None) -> None:
    """Child: read a chunk size per line, answer with that many interleaved samples (one JSON line)."""
    results = os.fdopen(os.dup(1), "w")  # stdout itself goes to /dev/null inside stubbed_handler
    with stubbed_handler(orchestrator_dir=orchestrator_dir) as handler:
        variants, _text = make_variants(handler, language)
        measure_interleaved(variants, 0, warmup)
        done = 0
        for line in sys.stdin:
            count = int(line)
            results.write(json.dumps(measure_interleaved(variants, count, 0, offset=done)) + "\n")
            results.flush()
            done += count


def run_compare(args: argparse.Namespace) -> None:
    trees = {"before": Path(args.before).resolve(), "after": Path(args.after).resolve()}
    languages = {"before": args.language, "after": args.after_language or args.language}
    children = {
        name: subprocess.Popen(
            [sys.executable, __file__, "--serve", str(tree), "--warmup", str(args.warmup)]
            + (["--language", languages[name]] if languages[name] else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name, tree in trees.items()
    }
    rounds: dict[str, list[Samples]] = {name: [] for name in trees}
    order = list(trees)
    for _round in range(args.rounds):
        merged: dict[str, Samples] = {name: {} for name in trees}
        for chunk in range(max(1, args.requests // args.chunk)):
            for name in order if chunk % 2 == 0 else order[::-1]:
                child = children[name]
                child.stdin.write(f"{args.chunk}\n")
                child.stdin.flush()
                for variant, values in json.loads(child.stdout.readline()).items():
                    merged[name].setdefault(variant, []).extend(values)
        for name in trees:
            rounds[name].append(merged[name])
    for child in children.values():
        child.stdin.close()
        child.wait()
    result: dict[str, Any] = {
        "requests_per_round": max(1, args.requests // args.chunk) * args.chunk,
        "rounds": args.rounds,
        "chunk": args.chunk,
        "before": str(trees["before"]),
        "after": str(trees["after"]),
        "language": languages,
    }
    for name in trees:
        result[name] = report(rounds[name])
    pairs = list(zip(rounds["after"], rounds["before"], strict=True))

    def ratios(key: str, q: float) -> dict[str, float]:
        return spread([percentile(a[key], q) / percentile(b[key], q) for a, b in pairs], 2)

    result["after_vs_before"] = {**{f"p{q}": ratios("generate", q) for q in QUANTILES}, "cpu_p50": ratios("generate_cpu", 50)}
    print(json.dumps(result, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per round (per version)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--before", metavar="DIR", help="another checkout's lambdas/orchestrator to compare against")
    parser.add_argument("--after", metavar="DIR", default=str(ORCHESTRATOR_DIR), help="with --before: the compared version")
    parser.add_argument("--chunk", type=int, default=20, help="with --before: iterations per turn of each version")
    parser.add_argument("--language", help="send the request's language field (e.g. en): no detection call")
    parser.add_argument("--after-language", help="with --before: the language field of the compared version's requests")
    parser.add_argument("--serve", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="run at SCHED_FIFO priority 1 (needs root; children and threads inherit it): on a shared machine the "
        "other processes cannot preempt the run, a stand-in for a quiet machine (not how Lambda schedules)",
    )
    args = parser.parse_args()
    if args.realtime:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    if args.serve:
        serve(Path(args.serve), args.warmup, args.language)
    elif args.before:
        run_compare(args)
    else:
        run_single(args)


if __name__ == "__main__":
    main()
