"""Cost of scoring an evaluation run: every metric of every use case for 1,000 records (the project's
datasets cycled, each answered by a perturbed reference, with the orchestrator's response fields), against
a baseline measured in the same run: one plain exact-match pass over the same 1,000 outputs.

    .venv/bin/python benchmarks/evaluation_metrics.py [--items 1000] [--repeats 5] [--budget-seconds 2]

Exits 1 when the median full scoring time exceeds the budget (issue 15: 1,000 items in at most 2 s).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lambdas" / "evaluation_worker"))

from evaluation_metrics import dataset, scoring, text  # noqa: E402


def _output(item: dict, rng: random.Random) -> str:
    if "label" in item:
        return rng.choice([item["label"], "neutral", "uncertain"])
    reference = item["references"][0]
    if isinstance(reference, dict):
        return json.dumps(reference, ensure_ascii=False) if rng.random() < 0.8 else "not json"
    words = reference.split()
    head = words[: len(words) // 3]
    rng.shuffle(head)
    words[: len(head)] = head
    return " ".join(words[: max(1, int(len(words) * rng.uniform(0.6, 1.0)))])


def records(count: int) -> list[dict]:
    rng = random.Random(15)
    items = [item for path in sorted((ROOT / "evaluation" / "datasets").glob("*.jsonl")) for item in dataset.load(path)]
    out = []
    for index in range(count):
        item = items[index % len(items)]
        body = {"output": _output(item, rng), "model": "model-a" if index % 2 else "model-b",
                "usage": {"input_tokens": 300, "output_tokens": 60}, "latency_ms": rng.randint(200, 900),
                "estimated_cost_usd": 0.0002, "safety": {"output": {"pii": {"masked_count": 0}, "toxicity": {"blocked": False}}}}
        out.append({"item": item, "model": body["model"], "status": 200, "body": body})
    return out


def timed(fn, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget-seconds", type=float, default=2.0)
    args = parser.parse_args()
    data = records(args.items)
    pairs = [(r["body"]["output"], [ref for ref in r["item"].get("references", [r["item"].get("label", "")])
                                    if isinstance(ref, str)] or [""]) for r in data]
    scoring.score(data[:20])  # warm-up: imports rouge-score and sacrebleu, builds their scorers
    baseline = timed(lambda: [text.exact_match(out, refs) for out, refs in pairs], args.repeats)
    full = timed(lambda: scoring.score(data), args.repeats)
    print(f"records: {args.items} ({len({r['item']['use_case'] for r in data})} use cases, 2 models), "
          f"median of {args.repeats} runs")
    print(f"baseline (exact match only): {baseline * 1000:.1f} ms")
    print(f"every metric + operational:  {full * 1000:.1f} ms  ({full / baseline:.1f}x the baseline)")
    print(f"budget: {args.budget_seconds:.1f} s -> {'OK' if full <= args.budget_seconds else 'OVER BUDGET'}")
    return 0 if full <= args.budget_seconds else 1


if __name__ == "__main__":
    sys.exit(main())
