"""Cold start with real HTTP: every AWS call goes over loopback to a local fake, as ratios measured in one run.

A threaded HTTP server in this process answers Comprehend, Converse and ApplyGuardrail with the canned bodies of
``stub_aws.canned``; each child points botocore at it with ``AWS_ENDPOINT_URL``. Each sample is a fresh Python
process (wall time from spawn to exit); variants are interleaved, in a rotating order, and repeated:

* ``baseline``:  ``boto3.client("bedrock-runtime")`` and one Converse call (the floor: a bare model call);
* ``use_cases``: import ``handler`` and serve the first ``GET /v1/use-cases`` (no AWS call);
* ``generate``:  import ``handler`` and serve the first ``POST /v1/generate`` (4 KB input, real safety filter:
  language, PII, toxicity in and out, the Converse call);
* ``generate_primed``: the same after ``orchestrator.priming.prime`` (what the SnapStart before-snapshot hook
  runs), so its wall time still includes the init and the priming.

What this can show of SnapStart: each handler child also reports, in-process, how long its first and second
requests took (``first_request_ms``, ``second_request_ms``), with and without priming: the first request's extra
work is what a restored environment still does before answering, and what priming could move into the snapshot.
What it cannot show: the restore itself (Lambda resumes a Firecracker snapshot; no local equivalent), so it
cannot give a SnapStart cold start, only how much first-request work priming moves into the snapshot.

    .venv/bin/python benchmarks/cold_start_http.py --repeat 15
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from common import BENCH_DIR, ENV, MODEL, ORCHESTRATOR_DIR
from stub_aws import canned

BASELINE = f"""
import boto3
client = boto3.client("bedrock-runtime")
client.converse(modelId={MODEL!r}, messages=[{{"role": "user", "content": [{{"text": "Hello"}}]}}],
                inferenceConfig={{"maxTokens": 512}})
"""

HANDLER = f"""
import sys, time
sys.path[:0] = [{str(ORCHESTRATOR_DIR)!r}, {str(BENCH_DIR)!r}]
import handler
from common import Context, generate_event
{{prime}}
event = {{event}}
start = time.perf_counter()
response = handler.handler(event, Context())
first = (time.perf_counter() - start) * 1000
assert response["statusCode"] == 200, response
start = time.perf_counter()
handler.handler({{event}}, Context())
second = (time.perf_counter() - start) * 1000
sys.stderr.write(f"first_request_ms={{{{first:.3f}}}}\\nsecond_request_ms={{{{second:.3f}}}}\\n")
"""
PRIME = "from orchestrator.priming import prime; prime(handler.RUNTIME.clients)"
USE_CASES_EVENT = ('{**generate_event(), "httpMethod": "GET", "path": "/v1/use-cases", "body": None, '
                   '"pathParameters": {"proxy": "v1/use-cases"}}')


class _FakeAws(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's pool expects
    # Headers and body go out as two writes: without TCP_NODELAY, Nagle + the client's delayed ACK stall each
    # response ~40 ms, a cost of this fake, not of AWS (urllib3 sets TCP_NODELAY on its side).
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        operation = (self.headers.get("X-Amz-Target") or "").split(".")[-1]
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            payload = {}
        answer = json.dumps(canned(self.path.split("?")[0], operation, payload)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-RequestId", "cold-start-bench")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_: object) -> None:
        pass


def run_once(code: str, endpoint: str) -> tuple[float, dict[str, float]]:
    env = {**os.environ, **ENV, "AWS_ENDPOINT_URL": endpoint}
    for name in ("LAMBDA_TASK_ROOT", "AWS_PROFILE", "PYTHONDONTWRITEBYTECODE"):  # see cold_start.py
        env.pop(name, None)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=False)
    elapsed = (time.perf_counter() - start) * 1000.0
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr.decode()[-2000:]}")
    timings = {}
    for line in done.stderr.decode().splitlines():
        key, _, value = line.partition("=")
        if key in ("first_request_ms", "second_request_ms"):
            timings[key] = float(value)
    return elapsed, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeAws)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"

    variants = {
        "baseline": BASELINE,
        "use_cases": HANDLER.format(prime="", event=USE_CASES_EVENT),
        "generate": HANDLER.format(prime="", event="generate_event()"),
        "generate_primed": HANDLER.format(prime=PRIME, event="generate_event()"),
    }
    names = list(variants)
    for name in names:  # warm byte-code caches and the page cache
        run_once(variants[name], endpoint)
    wall: dict[str, list[float]] = {name: [] for name in names}
    first: dict[str, list[float]] = {name: [] for name in names}
    second: dict[str, list[float]] = {name: [] for name in names}
    for i in range(args.repeat):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            elapsed, timings = run_once(variants[name], endpoint)
            wall[name].append(elapsed)
            if timings:
                first[name].append(timings["first_request_ms"])
                second[name].append(timings["second_request_ms"])
    server.shutdown()

    base = statistics.median(wall["baseline"])
    pair = {name: [w / b for w, b in zip(wall[name], wall["baseline"], strict=True)] for name in names}
    result = {
        "repeat": args.repeat,
        "median_ms": {name: round(statistics.median(values), 1) for name, values in wall.items()},
        "ratio_vs_baseline": {name: round(statistics.median(values) / base, 3) for name, values in wall.items()},
        "pair_ratio_spread": {name: [round(min(v), 2), round(max(v), 2)] for name, v in pair.items() if name != "baseline"},
        "first_request_ms": {name: round(statistics.median(v), 2) for name, v in first.items() if v},
        "second_request_ms": {name: round(statistics.median(v), 2) for name, v in second.items() if v},
    }
    if first["generate"] and first["generate_primed"]:
        result["first_generate_primed_vs_unprimed"] = round(
            statistics.median(first["generate_primed"]) / statistics.median(first["generate"]), 3)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
