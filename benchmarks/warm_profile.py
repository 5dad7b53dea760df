"""Where a warm ``POST /v1/generate`` spends its work (the request of ``warm_overhead.py``).

Two load-robust measures, for before/after comparisons on a shared machine where wall-clock tails are noise:

* ``--instructions``: instructions executed per warm request, counted by valgrind's callgrind (every
  thread: the request thread and the pools'). Two runs of the same process differ only in the number of
  requests (``--requests`` and ``--requests + --extra``), so the cold start cancels out:
  ``(I(n + extra) - I(n)) / extra``. With ``--before DIR`` the same is counted for another checkout's
  ``lambdas/orchestrator`` and the ratio is reported.
* ``--profile``: cProfile of ``--requests`` warm requests in every thread (each pool thread gets its own
  profiler through a wrapped ``ThreadPoolExecutor`` initializer; the stats are merged), timed in each thread's
  CPU time (waiting for a core or the GIL is not charged), top ``--top`` functions by own and cumulative time.
  ``--inline`` runs the pools' calls in the calling thread; ``--no-botocore`` answers each AWS call with the
  stub's parsed body without botocore, leaving the orchestrator's own work.

    .venv/bin/python benchmarks/warm_profile.py --profile --requests 300
    .venv/bin/python benchmarks/warm_profile.py --instructions --before /tmp/warm-main/lambdas/orchestrator
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ORCHESTRATOR_DIR, Context, generate_event, stubbed_handler


def run_requests(handler: Any, count: int, language: str | None) -> None:
    event = generate_event(language=language)
    for _ in range(count):
        response = handler.handler(event, Context())
        if response["statusCode"] != 200:
            raise SystemExit(response["body"])


# --------------------------------------------------------------------------- cProfile, every thread
def run_inline(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    from concurrent.futures import Future

    future: Future = Future()
    future.set_running_or_notify_cancel()
    try:
        future.set_result(fn(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - handed to the waiter, as a pool thread does
        future.set_exception(exc)
    return future


def profile(args: argparse.Namespace) -> None:
    import concurrent.futures.thread as pool_module

    profilers: list[cProfile.Profile] = []
    original_init = pool_module.ThreadPoolExecutor.__init__

    def start_profiler() -> None:
        profiler = cProfile.Profile(time.thread_time)
        profilers.append(profiler)
        profiler.enable()

    def profiled_init(
        self: Any, max_workers: Any = None, thread_name_prefix: str = "", initializer: Any = None, initargs: tuple = ()
    ) -> None:
        def init(*init_args: Any) -> None:
            start_profiler()
            if initializer is not None:
                initializer(*init_args)

        original_init(self, max_workers, thread_name_prefix, init, initargs)

    pool_module.ThreadPoolExecutor.__init__ = profiled_init  # type: ignore[method-assign]
    if args.inline:  # every pool call runs in the calling thread: CPU attribution without the handoffs
        pool_module.ThreadPoolExecutor.submit = run_inline  # type: ignore[method-assign]
    if args.no_botocore:  # the orchestrator's own work: each AWS call returns the stub's parsed answer at once
        import botocore.client
        import stub_aws

        def answer(client: Any, operation: str, params: dict) -> dict:
            return stub_aws.canned("https://stub/converse" if operation == "Converse" else "https://stub/", operation, params)

        botocore.client.BaseClient._make_api_call = answer  # type: ignore[method-assign]
    with stubbed_handler(orchestrator_dir=Path(args.serve or ORCHESTRATOR_DIR)) as handler:
        run_requests(handler, args.warmup, args.language)
        main = cProfile.Profile(time.thread_time)  # CPU time: a thread waiting for a core or the GIL is not charged
        for profiler in profilers:  # pool threads started during warm-up: count only from here
            profiler.clear()
        main.enable()
        run_requests(handler, args.requests, args.language)
        main.disable()
    stats = pstats.Stats(main)
    for profiler in profilers:
        profiler.snapshot_stats()
        stats.add(profiler)
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats(key).print_stats(args.top)
        print(f"===== by {key} ({args.requests} requests, {len(profilers)} pool threads)")
        print(out.getvalue())


# --------------------------------------------------------------------------- callgrind instruction counts
def serve_count(args: argparse.Namespace) -> None:
    """Child (under valgrind): the cold start plus ``--requests`` runs of ``--variant`` (warm_overhead.py's)."""
    from warm_overhead import make_variants

    with stubbed_handler(orchestrator_dir=Path(args.serve)) as handler:
        run = make_variants(handler, args.language)[0][args.variant]
        for _ in range(args.requests):
            run()


def count_instructions(tree: Path, requests: int, language: str | None, variant: str = "generate") -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no", "--trace-children=no"]
        command += [sys.executable, __file__, "--count-child", "--serve", str(tree), "--requests", str(requests)]
        command += ["--variant", variant] + (["--language", language] if language else [])
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        total = 0
        for dump in Path(tmp).glob("callgrind.out*"):  # one file per thread with --separate-threads; one here
            match = re.search(r"^(?:summary|totals):\s*(\d+)", dump.read_text(errors="replace"), re.MULTILINE)
            total += int(match.group(1)) if match else 0
        return total


def instructions(args: argparse.Namespace) -> None:
    trees = {"after": Path(args.after).resolve()}
    if args.before:
        trees = {"before": Path(args.before).resolve(), **trees}
    result: dict[str, Any] = {"requests": [args.requests, args.requests + args.extra], "language": args.language}

    def per_run(tree: Path, variant: str) -> int:
        low = count_instructions(tree, args.requests, args.language, variant)
        high = count_instructions(tree, args.requests + args.extra, args.language, variant)
        return round((high - low) / args.extra)

    for name, tree in trees.items():
        result[name] = {"tree": str(tree), "instructions_per_request": per_run(tree, "generate")}
    if args.baseline:  # the same AWS calls made directly on the handler's clients: the rest is the orchestrator's
        aws_calls = per_run(trees["after"], "aws_calls")
        result["aws_calls_instructions"] = aws_calls
        for name in trees:
            result[name]["overhead_instructions"] = result[name]["instructions_per_request"] - aws_calls
    if args.before:
        result["after_vs_before"] = round(
            result["after"]["instructions_per_request"] / result["before"]["instructions_per_request"], 3
        )
    print(json.dumps(result, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--profile", action="store_true", help="cProfile every thread")
    mode.add_argument("--instructions", action="store_true", help="callgrind instructions per warm request")
    mode.add_argument("--count-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=300, help="profiled requests; with --instructions: the base run's")
    parser.add_argument("--extra", type=int, default=100, help="with --instructions: the second run's additional requests")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--inline", action="store_true", help="with --profile: run pool calls in the calling thread")
    parser.add_argument("--no-botocore", action="store_true", help="with --profile: AWS calls answered without botocore")
    parser.add_argument("--language", help="send the request's language field (e.g. en)")
    parser.add_argument("--before", metavar="DIR", help="with --instructions: another checkout's lambdas/orchestrator")
    parser.add_argument("--baseline", action="store_true", help="with --instructions: also count the direct AWS calls")
    parser.add_argument("--variant", default="generate", help=argparse.SUPPRESS)
    parser.add_argument("--after", metavar="DIR", default=str(ORCHESTRATOR_DIR))
    parser.add_argument("--serve", metavar="DIR", help="the lambdas/orchestrator folder to run (default: this checkout's)")
    args = parser.parse_args()
    if args.count_child:
        serve_count(args)
    elif args.instructions:
        instructions(args)
    else:
        profile(args)


if __name__ == "__main__":
    main()
