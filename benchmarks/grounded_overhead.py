"""Our own overhead of a grounded generate over a plain one, AWS stubbed in-process at zero latency.

Every request asks the ``answer`` use case the same question through ``handler.handler`` with the
real safety filter. The plain one sets ``"knowledge_base": null``; the grounded one uses the use
case's default knowledge base: ``Retrieve`` answers 10 chunks of 1 KB (``stub_aws.RETRIEVED``),
which are screened (PII, toxicity), numbered into the prompt, and the answer gets the contextual
grounding check (``ApplyGuardrail``); ``grounded_unscreened`` is the same with a knowledge base whose
``retrieved_text_pii`` is ``allow`` (no second screening). Requests alternate (plain, grounded,
unscreened, plain, ...) so drift on a shared machine hits all alike. Goal (issue 13): at most +5 ms
at p99.

    .venv/bin/python benchmarks/grounded_overhead.py --requests 500
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from common import Context, generate_event, stubbed_handler
from warm_overhead import percentile

_KB = {"description": "How to deploy and run this stack", "filterable_keys": ["topic"], "max_results": 10, "min_score": 0.0}
#: The same documents twice: screened as the input PII policy says (the default) and passed as is (``allow``), to
#: show what the second screening costs.
KNOWLEDGE_BASES = json.dumps(
    [
        {**_KB, "name": "operations-guide", "id": "KB12345678", "grounded_use_cases": ["answer"]},
        {**_KB, "name": "unscreened-guide", "id": "KB87654321", "retrieved_text_pii": "allow"},
    ]
)
VARIANTS = {"plain": None, "grounded": "operations-guide", "grounded_unscreened": "unscreened-guide"}
QUESTION = "How do I deploy a new environment, and where do the alarms of that environment go once it runs?"


def event(knowledge_base: str | None) -> dict:
    request = generate_event()
    request["body"] = json.dumps({"use_case": "answer", "input": QUESTION, "knowledge_base": knowledge_base})
    return request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()

    samples: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with stubbed_handler({"KNOWLEDGE_BASES": KNOWLEDGE_BASES}) as handler:
        import stub_aws

        requests = {name: event(knowledge_base) for name, knowledge_base in VARIANTS.items()}

        def call(name: str) -> float:
            start = time.perf_counter()
            response = handler.handler(requests[name], Context())
            elapsed = (time.perf_counter() - start) * 1000.0
            body = json.loads(response["body"])
            if response["statusCode"] != 200 or ("grounding" in body) != (VARIANTS[name] is not None):
                raise SystemExit(response["body"])
            return elapsed

        for _ in range(args.warmup):
            for name in VARIANTS:
                call(name)
        for _ in range(args.requests):
            for name in VARIANTS:
                samples[name].append(call(name))

    def summary(samples: list[float]) -> dict[str, float]:
        return {"p50": round(statistics.median(samples), 2), "p99": round(percentile(samples, 99), 2)}

    ms = {name: summary(values) for name, values in samples.items()}
    result: dict = {
        "requests": args.requests,
        "retrieved": {"chunks": len(stub_aws.RETRIEVED), "chunk_bytes": len(stub_aws.CHUNK_TEXT.encode())},
        **{f"{name}_generate_ms": values for name, values in ms.items()},
        "goal_p99_added_ms": 5.0,
    }
    for name in ("grounded", "grounded_unscreened"):
        result[f"{name}_added_ms"] = {key: round(ms[name][key] - ms["plain"][key], 2) for key in ("p50", "p99")}
        result[f"{name}_ratio"] = {key: round(ms[name][key] / ms["plain"][key], 2) for key in ("p50", "p99")}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
