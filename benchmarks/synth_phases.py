"""The app of ``cdk.json``, run as ``cdk synth --app`` with each phase measured: wall and CPU seconds of this
Python process for importing, building the stages and ``app.synth()``, the jsii kernel's CPU (node, reaped at
the end) and the jsii round trips per phase (each request Python sends to the kernel, callbacks answered
included). Round trips and CPU seconds hardly move with other processes' load, unlike wall time.

Prints one JSON line prefixed ``SYNTH-PHASES`` to stderr. Used by ``synth_time.py --phases``.
"""

from __future__ import annotations

import collections
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    sys.path[0] = str(ROOT)  # as app.py: the repository root, not benchmarks/ (whose modules shadow lambdas/ packages)
    from jsii._kernel.providers import process as jsii_process

    round_trips: collections.Counter[str] = collections.Counter()
    phase = ["import_aws_cdk"]
    send = jsii_process._NodeProcess.send

    def counting_send(self, request, response_type):
        round_trips[phase[0]] += 1
        return send(self, request, response_type)

    jsii_process._NodeProcess.send = counting_send
    marks = [(_cpu(), time.perf_counter())]

    def mark(next_phase: str) -> None:
        marks.append((_cpu(), time.perf_counter()))
        phase[0] = next_phase

    import aws_cdk  # noqa: F401 - the part every CDK app pays, the one-bucket baseline included

    mark("import_app")
    import stacks.account_stack
    import stacks.stage  # noqa: F401 - what build_app imports, so that "build" is construction only
    from cdk.main import build_app

    mark("build")
    app = build_app()
    mark("synth")
    app.synth()
    mark("done")

    from jsii import _runtime

    _runtime.kernel.provider._process.stop()  # reap the kernel so its CPU shows in RUSAGE_CHILDREN
    names = ["import_aws_cdk", "import_app", "build", "synth"]
    result = {
        name: {"wall_s": round(t1 - t0, 3), "python_cpu_s": round(c1 - c0, 3)}
        for name, (c0, t0), (c1, t1) in zip(names, marks[:-1], marks[1:], strict=True)
    }
    result["round_trips"] = dict(round_trips)
    result["round_trips_total"] = sum(round_trips.values())
    result["python_cpu_s"] = round(_cpu(), 3)
    result["jsii_kernel_cpu_s"] = round(_cpu(resource.RUSAGE_CHILDREN), 3)
    print("SYNTH-PHASES " + json.dumps(result), file=sys.stderr)


if __name__ == "__main__":
    main()
