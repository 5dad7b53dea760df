"""Cold start of the orchestrator Lambda, as ratios measured in one run.

Each sample is a fresh Python process (wall time from spawn to exit, so interpreter start-up is
in every variant):

* ``baseline``:  ``import boto3; boto3.client("bedrock-runtime")`` (nothing served);
* ``handler``:   import ``handler`` and serve the first ``POST /v1/generate`` (4 KB input, real
  safety filter), AWS answered in-process by ``stub_aws`` (no network);
* ``handler+xray``: the same with the X-Ray SDK imported (what a Lambda with active tracing
  pays: Powertools' Tracer is only created inside Lambda);
* ``langchain``: a minimal handler using langchain-aws ``ChatBedrockConverse`` for the same call,
  run with ``--langchain-python`` (a separate venv: see requirements-bench.txt).

Variants are interleaved and repeated; medians are reported. Byte-code caches are warmed by one
discarded round first (ship .pyc in the asset: /var/task is read-only at run time).

    .venv/bin/python benchmarks/cold_start.py --repeat 21 [--langchain-python /tmp/lcvenv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from common import BENCH_DIR, ENV, ORCHESTRATOR_DIR

BASELINE = 'import boto3; boto3.client("bedrock-runtime")'

HANDLER = f"""
import sys
sys.path[:0] = [{str(ORCHESTRATOR_DIR)!r}, {str(BENCH_DIR)!r}]
import stub_aws; stub_aws.install()
{{extra}}
import handler
from common import Context, generate_event
response = handler.handler(generate_event(), Context())
assert response["statusCode"] == 200, response
"""

LANGCHAIN = f"""
import sys
sys.path[:0] = [{str(BENCH_DIR)!r}]
import stub_aws; stub_aws.install()
import json
from langchain_aws import ChatBedrockConverse
from common import Context, generate_event, MODEL
llm = ChatBedrockConverse(model=MODEL, region_name="eu-west-1", temperature=0.2, max_tokens=512,
                          guardrail_config={{"guardrailIdentifier": "gr0abc123def", "guardrailVersion": "3"}})

def handler(event, context):
    body = json.loads(event["body"])
    message = llm.invoke([("system", "You are a precise editor."), ("human", body["input"])])
    return {{"statusCode": 200, "body": json.dumps({{"output": message.content}})}}

response = handler(generate_event(), Context())
assert response["statusCode"] == 200, response
"""


def run_once(python: str, code: str) -> float:
    env = {**os.environ, **ENV}
    # PYTHONDONTWRITEBYTECODE (set in some shells and CI images) would stop the warm-up round from
    # writing the orchestrator's .pyc, so every sample would compile it from source while boto3's
    # byte-code (written by pip) is used: not the premise above, and it skews the ratio.
    for name in ("LAMBDA_TASK_ROOT", "AWS_ENDPOINT_URL", "AWS_PROFILE", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    start = time.perf_counter()
    done = subprocess.run([python, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr.decode()[-2000:]}")
    return elapsed * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--langchain-python", default=None, help="python of a venv with langchain-aws installed")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()

    variants = {
        "baseline": (sys.executable, BASELINE),
        "handler": (sys.executable, HANDLER.format(extra="")),
        "handler+xray": (sys.executable, HANDLER.format(extra="import aws_xray_sdk.core")),
    }
    if args.langchain_python:
        variants["langchain"] = (args.langchain_python, LANGCHAIN)
        variants["baseline (langchain venv)"] = (args.langchain_python, BASELINE)

    for python, code in variants.values():  # warm byte-code caches and the page cache
        run_once(python, code)
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeat):
        for name, (python, code) in variants.items():
            samples[name].append(run_once(python, code))

    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["baseline"]
    result = {
        "repeat": args.repeat,
        "median_ms": {k: round(v, 1) for k, v in medians.items()},
        "ratio_vs_baseline": {k: round(v / base, 3) for k, v in medians.items()},
    }
    if "langchain" in medians:
        result["ratio_handler_vs_langchain"] = round(medians["handler"] / medians["langchain"], 3)
        result["ratio_langchain_vs_its_baseline"] = round(medians["langchain"] / medians["baseline (langchain venv)"], 3)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"cold start, median of {args.repeat} fresh processes (spawn to exit)")
    print(f"{'variant':28} {'median ms':>10} {'x baseline':>11}")
    for name, value in medians.items():
        print(f"{name:28} {value:10.1f} {value / base:11.2f}")
    for key in ("ratio_handler_vs_langchain", "ratio_langchain_vs_its_baseline"):
        if key in result:
            print(f"{key}: {result[key]}")


if __name__ == "__main__":
    main()
