"""Input checks run concurrently on one reused thread pool: latency is the slowest check's."""

from __future__ import annotations

import threading
import time

from safety import ServiceLimits
from safety.text import split_text

from .helpers import add_clean_input, guardrail_response, recording_sleeper, toxicity_response

TEXT = "Could you summarise the attached minutes for the board, keeping it under a page?"


def test_pii_and_toxicity_run_at_the_same_time(make_filter, comprehend, comprehend_stub):
    # Overlap of the recorded call spans, not a wall-clock bound (robust on a loaded machine).
    spans: dict[str, tuple[float, float]] = {}
    recording_sleeper(comprehend, "DetectPiiEntities", 0.2, spans)
    recording_sleeper(comprehend, "DetectToxicContent", 0.3, spans)
    add_clean_input(comprehend_stub, TEXT)
    make_filter().screen_input(TEXT, language="en")
    (pii_start, pii_end), (toxicity_start, toxicity_end) = spans["DetectPiiEntities"], spans["DetectToxicContent"]
    assert max(pii_start, toxicity_start) < min(pii_end, toxicity_end), "PII and toxicity ran one after the other"


def test_the_guardrail_runs_alongside_too(make_filter, comprehend, bedrock, comprehend_stub, bedrock_stub):
    # Overlap of the recorded call spans, not a wall-clock bound (robust on a loaded machine): the
    # guardrail call is in flight while each Comprehend call is, i.e. it neither waits for them nor
    # they for it.
    spans: dict[str, tuple[float, float]] = {}
    for client, operation in ((comprehend, "DetectPiiEntities"), (comprehend, "DetectToxicContent"), (bedrock, "ApplyGuardrail")):
        recording_sleeper(client, operation, 0.3, spans)
    add_clean_input(comprehend_stub, TEXT)
    bedrock_stub.add_response("apply_guardrail", guardrail_response(False), None)
    make_filter().screen_input(TEXT, language="en", guardrail=True)
    guardrail_start, guardrail_end = spans["ApplyGuardrail"]
    for operation in ("DetectPiiEntities", "DetectToxicContent"):
        start, end = spans[operation]
        assert max(start, guardrail_start) < min(end, guardrail_end), f"ApplyGuardrail did not overlap {operation}"


def test_chunks_and_batches_are_concurrent_as_well(make_filter, comprehend, comprehend_stub):
    limits = ServiceLimits(pii_max_bytes=200, pii_overlap_chars=20, toxicity_segment_bytes=50, toxicity_batch_size=2)
    text = " ".join(["A calm sentence about the quarterly plan."] * 12)
    chunks = split_text(text, limits.pii_max_bytes, overlap_chars=limits.pii_overlap_chars)
    segments = split_text(text, limits.toxicity_segment_bytes)
    assert len(chunks) >= 3 and len(segments) >= 6
    for _ in chunks:
        comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, None)
    for i in range(0, len(segments), limits.toxicity_batch_size):
        comprehend_stub.add_response("detect_toxic_content", toxicity_response(len(segments[i : i + 2])), None)
    in_flight, peak, lock = [0], [0], threading.Lock()

    def track(**_kwargs) -> None:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.15)
        with lock:
            in_flight[0] -= 1

    comprehend.meta.events.register_first("before-call.*.*", track)  # the Stubber's event: see helpers._before_call
    safety_filter = make_filter(limits=ServiceLimits(**{**limits.__dict__, "max_workers": 16}))
    safety_filter.screen_input(text, language="en")
    # Calls in flight at once, not a wall-clock bound: sequential calls would never overlap.
    assert peak[0] >= 3, f"at most {peak[0]} Comprehend call(s) in flight at once"
    comprehend_stub.assert_no_pending_responses()


def test_one_pool_is_created_and_reused(make_filter, comprehend, comprehend_stub):
    seen: set[str] = set()

    def record(**_kwargs):
        seen.add(threading.current_thread().name)

    comprehend.meta.events.register_first("before-call.*.*", record)
    safety_filter = make_filter()
    pool = safety_filter._executor
    for _ in range(3):
        add_clean_input(comprehend_stub, TEXT)
        safety_filter.screen_input(TEXT, language="en")
    assert safety_filter._executor is pool
    assert seen and all(name.startswith("safety") for name in seen)
    assert len(seen) <= safety_filter.limits.max_workers
