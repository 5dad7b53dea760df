"""Synthesis time of the whole app (every environment, what ``make synth`` runs) as a ratio of a
one-bucket app synthesized with the same toolchain (same ``cdk`` CLI, Python, jsii runtime and
flags) in the same run.

Runs are interleaved in ABBA order (baseline, app, app, baseline, ...) so a change of machine load
during the run hits both sides alike; each run is a fresh ``cdk synth`` into its own output
directory. The ratio of the medians is the result; the spread of the per-pair ratios says how
noisy the machine was. Lambda assets must be built first (``make assets``).

    .venv/bin/python benchmarks/synth_time.py --repeat 4
    .venv/bin/python benchmarks/synth_time.py --profile /tmp/synth.prof   # one cProfile'd app synth
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CDK = ROOT / "node_modules" / ".bin" / "cdk"
FLAGS = ["--no-notices", "--ci", "--quiet"]

BASELINE_APP = """
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3

app = App()
stack = Stack(app, "OneBucket")
s3.Bucket(stack, "Bucket")
app.synth()
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    bin_dirs = [str(ROOT / ".venv" / "bin"), str(ROOT / "node_modules" / ".bin")]
    env["PATH"] = os.pathsep.join([*bin_dirs, env.get("PATH", "")])
    env.update(CDK_DISABLE_CLI_TELEMETRY="1", JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1", AWS_EC2_METADATA_DISABLED="true")
    return env


def synth(app_command: str | None, workdir: Path, selector: list[str]) -> float:
    """Seconds for one ``cdk synth`` (the app's ``cdk.json`` when ``app_command`` is None)."""
    out = Path(tempfile.mkdtemp(prefix="synth-bench-"))
    command = [str(CDK), "synth", *FLAGS, "--output", str(out)]
    if app_command is not None:
        command += ["--app", app_command]
    try:
        start = time.perf_counter()
        done = subprocess.run(
            [*command, *selector], cwd=workdir, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        elapsed = time.perf_counter() - start
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"cdk synth failed:\n{done.stderr.decode()[-3000:]}")
    return elapsed


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 2), "min": round(min(values), 2), "max": round(max(values), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=4, help="ABBA rounds (2 runs of each side per round)")
    parser.add_argument("--profile", metavar="FILE", help="instead: cProfile one synth of the app into FILE")
    parser.add_argument("--candidate", metavar="APP_COMMAND",
                        help="also time the app run by this --app command (e.g. 'python -O app.py'), interleaved")
    args = parser.parse_args()

    python = sys.executable
    if args.profile:
        elapsed = synth(f"{python} -m cProfile -o {Path(args.profile).resolve()} app.py", ROOT, ["**"])
        print(f"profiled app synth: {elapsed:.1f} s -> {args.profile}")
        return

    with tempfile.TemporaryDirectory(prefix="one-bucket-") as tmp:
        baseline_dir = Path(tmp)
        (baseline_dir / "app.py").write_text(BASELINE_APP)
        run_baseline = lambda: synth(f"{python} app.py", baseline_dir, [])  # noqa: E731
        run_app = lambda: synth(None, ROOT, ["**"])  # noqa: E731
        run_candidate = lambda: synth(args.candidate, ROOT, ["**"])  # noqa: E731
        run_baseline(), run_app()  # warm the page cache, byte-code and jsii's module cache
        baseline: list[float] = []
        app: list[float] = []
        candidate: list[float] = []
        for _ in range(args.repeat):
            baseline.append(run_baseline())
            app.append(run_app())
            if args.candidate:
                candidate.append(run_candidate())
                candidate.append(run_candidate())
            app.append(run_app())
            baseline.append(run_baseline())

    pair_ratios = [a / b for a, b in zip(app, baseline, strict=True)]
    result = {
        "runs_per_side": len(app),
        "baseline_s": _spread(baseline),
        "app_s": _spread(app),
        "ratio_of_medians": round(statistics.median(app) / statistics.median(baseline), 2),
        "pair_ratio": {"min": round(min(pair_ratios), 2), "max": round(max(pair_ratios), 2)},
    }
    if candidate:
        result["candidate"] = args.candidate
        result["candidate_s"] = _spread(candidate)
        result["candidate_ratio_of_medians"] = round(statistics.median(candidate) / statistics.median(baseline), 2)
        candidate_ratios = [c / b for c, b in zip(candidate, baseline, strict=True)]
        result["candidate_pair_ratio"] = {"min": round(min(candidate_ratios), 2), "max": round(max(candidate_ratios), 2)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
