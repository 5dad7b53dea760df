#!/usr/bin/env python3
"""Overhead of the safety filter over the raw Comprehend calls it makes, with zero-latency stubs.

    .venv/bin/python benchmarks/safety_overhead.py [--iterations 500] [--json]

Both sides use real botocore clients (parameter validation, event hooks, response handling);
a ``before-call`` hook answers instantly instead of the network, so what is measured is the
filter's own work: validation, splitting, the thread-pool round trip, the local pre-pass, merging
and masking. The baseline, measured in the same run, is calling the stubbed clients directly with
the requests the filter makes for a 4 KB English prompt (one DetectPiiEntities and one batched
DetectToxicContent call; plus DetectDominantLanguage in the ``auto`` scenario).
Nothing reaches AWS: dummy credentials, and the hook answers before any request is sent.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lambdas" / "orchestrator"))

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)
for _name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[_name]

import botocore.session  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402
from safety import TOXICITY_LABELS, SafetyFilter, SafetySettings  # noqa: E402
from safety.text import split_text  # noqa: E402

PARAGRAPH = (
    "Hello, my name is Daniel Ortega and I manage the Lisbon office. Please draft a polite reply to "
    "maria.lopez@example.com explaining that the quarterly report will be delayed by two days, and "
    "mention that she can reach me on +351 912 345 678 if anything is unclear. "
)


def make_prompt(size: int = 4096) -> str:
    text = ""
    while len(text.encode()) < size:
        text += PARAGRAPH
    return text.encode()[:size].decode("utf-8", errors="ignore").rstrip()


def instant_responses(client: Any, answer: Callable[[str, dict], dict]) -> None:
    """Answer every call on ``client`` at once with ``answer(operation, request_body)``."""

    def handler(model: Any, params: dict, **_kwargs: Any) -> tuple[AWSResponse, dict]:
        body = json.loads(params["body"] or b"{}")
        return AWSResponse(None, 200, {}, None), answer(model.name, body)

    client.meta.events.register("before-call.*.*", handler)


def comprehend_answer(prompt_entities: list[dict]) -> Callable[[str, dict], dict]:
    labels = [{"Name": name, "Score": 0.001} for name in TOXICITY_LABELS]

    def answer(operation: str, body: dict) -> dict:
        if operation == "DetectDominantLanguage":
            return {"Languages": [{"LanguageCode": "en", "Score": 0.99}]}
        if operation == "DetectPiiEntities":
            return {"Entities": prompt_entities if len(body["Text"]) > 1000 else []}
        if operation == "DetectToxicContent":
            return {"ResultList": [{"Labels": labels, "Toxicity": 0.01} for _ in body["TextSegments"]]}
        raise AssertionError(operation)

    return answer


def entities_for(text: str) -> list[dict]:
    found = []
    for entity_type, value in (("NAME", "Daniel Ortega"), ("EMAIL", "maria.lopez@example.com"), ("PHONE", "+351 912 345 678")):
        start = 0
        while (index := text.find(value, start)) != -1:
            found.append({"Type": entity_type, "BeginOffset": index, "EndOffset": index + len(value), "Score": 0.99})
            start = index + 1
    return found


def measure(fn: Callable[[], Any], iterations: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()

    prompt = make_prompt()
    session = botocore.session.get_session()
    comprehend = session.create_client("comprehend", region_name="eu-west-1")
    bedrock = session.create_client("bedrock-runtime", region_name="eu-west-1")
    instant_responses(comprehend, comprehend_answer(entities_for(prompt)))

    segments = [{"Text": prompt[b:e]} for b, e in split_text(prompt, 1000)]
    language_sample = prompt

    def baseline_fixed() -> None:
        comprehend.detect_pii_entities(Text=prompt, LanguageCode="en")
        comprehend.detect_toxic_content(TextSegments=segments, LanguageCode="en")

    def baseline_auto() -> None:
        comprehend.detect_dominant_language(Text=language_sample)
        baseline_fixed()

    settings = SafetySettings.from_dict({"supported_languages": ["en"]})
    results: dict[str, Any] = {"input_bytes": len(prompt.encode()), "toxicity_segments": len(segments)}
    with SafetyFilter(settings, comprehend=comprehend, bedrock_runtime=bedrock) as safety_filter:
        masked = safety_filter.screen_input(prompt, language="en")
        assert "Daniel Ortega" not in masked.text and masked.analysis["pii"]["masked_count"] > 0
        scenarios = {
            "fixed_language": (baseline_fixed, lambda: safety_filter.screen_input(prompt, language="en")),
            "auto_language": (baseline_auto, lambda: safety_filter.screen_input(prompt)),
        }
        for name, (baseline, screened) in scenarios.items():
            # Interleave the two so drift on the machine affects both alike.
            base_samples: list[float] = []
            filter_samples: list[float] = []
            for _ in range(4):
                base_samples += measure(baseline, args.iterations // 4, args.warmup)
                filter_samples += measure(screened, args.iterations // 4, args.warmup)
            base_p50, base_p99 = percentile(base_samples, 0.5), percentile(base_samples, 0.99)
            filt_p50, filt_p99 = percentile(filter_samples, 0.5), percentile(filter_samples, 0.99)
            results[name] = {
                "baseline_p50_ms": round(base_p50, 3),
                "baseline_p99_ms": round(base_p99, 3),
                "filter_p50_ms": round(filt_p50, 3),
                "filter_p99_ms": round(filt_p99, 3),
                "p50_ratio": round(filt_p50 / base_p50, 2),
                "p99_ratio": round(filt_p99 / base_p99, 2),
                "p50_overhead_ms": round(filt_p50 - base_p50, 3),
                "filter_mean_ms": round(statistics.fmean(filter_samples), 3),
                "samples": len(filter_samples),
            }

    if args.json:
        print(json.dumps(results))
        return 0
    print(f"safety filter overhead, {results['input_bytes']} B English prompt, zero-latency stubs")
    header = ("base p50", "base p99", "filt p50", "filt p99")
    print(f"{'scenario':<16}" + "".join(f"{h:>10}" for h in header) + f"{'p50 x':>8}{'p99 x':>8}{'+ms p50':>9}")
    for name in ("fixed_language", "auto_language"):
        r = results[name]
        print(
            f"{name:<16}{r['baseline_p50_ms']:>10.3f}{r['baseline_p99_ms']:>10.3f}{r['filter_p50_ms']:>10.3f}"
            f"{r['filter_p99_ms']:>10.3f}{r['p50_ratio']:>8.2f}{r['p99_ratio']:>8.2f}{r['p50_overhead_ms']:>9.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
