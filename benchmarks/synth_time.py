"""Synthesis time of the whole app (every environment, what ``make synth`` runs) as a ratio of a
one-bucket app synthesized with the same toolchain (same ``cdk`` CLI, Python, jsii runtime and
flags) in the same run.

Runs are interleaved in ABBA order (baseline, app, app, baseline, ...) so a change of machine load
during the run hits both sides alike; each run is a fresh ``cdk synth`` into its own output
directory. The ratio of the medians is the result; the spread of the per-pair ratios says how
noisy the machine was. Lambda assets must be built first (``make assets``).

    .venv/bin/python benchmarks/synth_time.py --repeat 4
    .venv/bin/python benchmarks/synth_time.py --profile /tmp/synth.prof   # one cProfile'd app synth
    .venv/bin/python benchmarks/synth_time.py --phases 3   # per phase: wall, CPU, jsii round trips
    .venv/bin/python benchmarks/synth_time.py --before /tmp/main   # also another checkout's app, same run

Each side is reported twice: wall seconds (what the goal is stated in) and CPU seconds, user+sys of the whole
``cdk synth`` process tree (CLI, Python app, jsii kernel). On the shared machine wall time swings with other
engineers' load (pair ratios 2x apart in one run); CPU time and round-trip counts hardly move, so they show
whether a change helped when the wall-clock ratio cannot.

``--before DIR`` times a second checkout (its own ``cdk.json``, ``.build`` and ``playground/dist``; this checkout's
CLI and virtualenv) in the same rounds, in ABBA order against this one (baseline, before, app, app, before,
baseline), and reports app/before ratios as well: a change's effect measured under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
    # PYTHONDONTWRITEBYTECODE (set in some shells and CI images) would stop the warm-up run from writing the app's
    # .pyc, so every app sample would compile ~170 modules from source while aws_cdk's byte-code (written by pip)
    # is used by both sides: not the warm premise below (see cold_start.py).
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    bin_dirs = [str(ROOT / ".venv" / "bin"), str(ROOT / "node_modules" / ".bin")]
    env["PATH"] = os.pathsep.join([*bin_dirs, env.get("PATH", "")])
    env.update(CDK_DISABLE_CLI_TELEMETRY="1", JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1", AWS_EC2_METADATA_DISABLED="true")
    return env


class Timing(tuple):
    """(wall seconds, CPU seconds) of one ``cdk synth``: CPU is user+sys of the whole process tree (the CLI, the
    Python app, its jsii node kernel), which other engineers' load on the shared machine changes far less than
    wall time."""

    wall = property(lambda self: self[0])
    cpu = property(lambda self: self[1])


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def synth(app_command: str | None, workdir: Path, selector: list[str]) -> Timing:
    """Wall and CPU seconds for one ``cdk synth`` (the app's ``cdk.json`` when ``app_command`` is None)."""
    out = Path(tempfile.mkdtemp(prefix="synth-bench-"))
    command = [str(CDK), "synth", *FLAGS, "--output", str(out)]
    if app_command is not None:
        command += ["--app", app_command]
    try:
        cpu_before, start = _children_cpu(), time.perf_counter()
        done = subprocess.run(
            [*command, *selector], cwd=workdir, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu_before
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"cdk synth failed:\n{done.stderr.decode()[-3000:]}")
    return Timing((elapsed, cpu))


def phases(runs: int) -> dict[str, object]:
    """Medians over ``runs`` app synths of each phase's wall and CPU seconds, and the jsii round trips."""
    samples = []
    for _ in range(runs + 1):  # the first run warms caches and byte-code, as in the ABBA rounds
        out = Path(tempfile.mkdtemp(prefix="synth-phases-"))
        try:
            done = subprocess.run(
                [str(CDK), "synth", *FLAGS, "--output", str(out), "--app", f"{sys.executable} benchmarks/synth_phases.py",
                 "**"], cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, text=True)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        lines = [line for line in done.stderr.splitlines() if line.startswith("SYNTH-PHASES ")]
        if done.returncode != 0 or not lines:
            raise SystemExit(f"cdk synth failed:\n{done.stderr[-3000:]}")
        samples.append(json.loads(lines[-1].removeprefix("SYNTH-PHASES ")))
    samples = samples[1:]
    result: dict[str, object] = {"runs": runs, "round_trips": samples[-1]["round_trips"],
                                 "round_trips_total": samples[-1]["round_trips_total"]}
    for name in ("import_aws_cdk", "import_app", "build", "synth"):
        result[name] = {key: _spread([s[name][key] for s in samples]) for key in ("wall_s", "python_cpu_s")}
    for key in ("python_cpu_s", "jsii_kernel_cpu_s"):
        result[key] = _spread([s[key] for s in samples])
    return result


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 2), "min": round(min(values), 2), "max": round(max(values), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=4, help="ABBA rounds (2 runs of each side per round)")
    parser.add_argument("--profile", metavar="FILE", help="instead: cProfile one synth of the app into FILE")
    parser.add_argument("--phases", type=int, metavar="N",
                        help="instead: N app synths through benchmarks/synth_phases.py (per-phase wall, CPU, round trips)")
    parser.add_argument("--candidate", metavar="APP_COMMAND",
                        help="also time the app run by this --app command (e.g. 'python -O app.py'), interleaved")
    parser.add_argument("--before", metavar="DIR", type=Path,
                        help="also time the app of another checkout (e.g. main before a change), interleaved")
    args = parser.parse_args()

    python = sys.executable
    if args.profile:
        elapsed = synth(f"{python} -m cProfile -o {Path(args.profile).resolve()} app.py", ROOT, ["**"])
        print(f"profiled app synth: {elapsed.wall:.1f} s -> {args.profile}")
        return

    if args.phases:
        print(json.dumps(phases(args.phases), indent=2))
        return

    with tempfile.TemporaryDirectory(prefix="one-bucket-") as tmp:
        baseline_dir = Path(tmp)
        (baseline_dir / "app.py").write_text(BASELINE_APP)
        runners = {"baseline": lambda: synth(f"{python} app.py", baseline_dir, [])}
        if args.before:
            runners["before"] = lambda: synth(None, args.before.resolve(), ["**"])
        runners["app"] = lambda: synth(None, ROOT, ["**"])
        if args.candidate:
            runners["candidate"] = lambda: synth(args.candidate, ROOT, ["**"])
        for run in runners.values():  # warm the page cache, byte-code and jsii's module cache
            run()
        order = [*runners, *reversed(runners)]  # baseline, before, app, candidate, candidate, app, before, baseline
        samples: dict[str, list[Timing]] = {name: [] for name in runners}
        for _ in range(args.repeat):
            for name in order:
                samples[name].append(runners[name]())

    baseline = samples.pop("baseline")
    result: dict[str, object] = {"runs_per_side": len(baseline)}
    if args.candidate:
        result["candidate"] = args.candidate
    if args.before:
        result["before"] = str(args.before)
    for metric, pick in (("wall", lambda t: t.wall), ("cpu", lambda t: t.cpu)):
        base = [pick(t) for t in baseline]
        result[f"baseline_{metric}_s"] = _spread(base)
        for name, runs in samples.items():
            values = [pick(t) for t in runs]
            pair_ratios = [v / b for v, b in zip(values, base, strict=True)]
            result[f"{name}_{metric}_s"] = _spread(values)
            result[f"{name}_{metric}_ratio_of_medians"] = round(statistics.median(values) / statistics.median(base), 2)
            result[f"{name}_{metric}_pair_ratio"] = {"min": round(min(pair_ratios), 2), "max": round(max(pair_ratios), 2)}
        if args.before:
            after, before = [pick(t) for t in samples["app"]], [pick(t) for t in samples["before"]]
            result[f"app_vs_before_{metric}_ratio_of_medians"] = round(statistics.median(after) / statistics.median(before), 3)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
