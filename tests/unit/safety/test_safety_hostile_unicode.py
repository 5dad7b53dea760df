"""Issue 12, items 9 and 14: text built to defeat the segmenter or the pattern checks.

* Combining marks, zero-width joiners and variation selectors must not cut the toxicity text into
  one-character segments (a cheap way to burn the Comprehend quota): segmenting makes progress in
  bounded calls whatever the text, and a request never makes more than ``max_toxicity_calls``.
* Detection runs on the NFKC form of the text without format characters, so a fullwidth e-mail
  address is caught; the caller's original text is kept outside the masked spans.
"""

from __future__ import annotations

import contextlib

import pytest
from safety import InputRejected, SafetyUnavailable, ServiceLimits
from safety.text import split_text

from .helpers import toxicity_response

MAX_CHARS = 20_000  # the shipped max_input_chars
WORST_CASES = {
    "combining marks": "\u0301" * MAX_CHARS,
    "base + many marks": ("a" + "\u0301" * 99) * (MAX_CHARS // 100),
    "zero-width joiners": ("\U0001f468\u200d" * (MAX_CHARS // 3)),
    "variation selectors": ("\u2764\ufe0f" * (MAX_CHARS // 2)),
    "joiner only": "\u200d" * MAX_CHARS,
}


@pytest.mark.parametrize("name", sorted(WORST_CASES))
def test_segmenting_makes_progress_whatever_the_text(name: str) -> None:
    text = WORST_CASES[name]
    limits = ServiceLimits()
    spans = split_text(text, limits.toxicity_segment_bytes)
    # Every segment but the last fills at least a quarter of the byte budget.
    budget_chars = limits.toxicity_segment_bytes // 4
    assert all(end - begin >= budget_chars // 4 for begin, end in spans[:-1]), [e - b for b, e in spans[:8]]
    assert len(spans) <= 4 * len(text.encode()) // limits.toxicity_segment_bytes + 1


@pytest.mark.parametrize("name", sorted(WORST_CASES))
def test_worst_case_toxicity_calls_stay_under_the_cap(make_filter, comprehend_stub, name: str) -> None:
    text = "Please review this. " + WORST_CASES[name]
    limits = ServiceLimits()
    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, None)
    for _ in range(limits.max_toxicity_calls):
        comprehend_stub.add_response("detect_toxic_content", toxicity_response(limits.toxicity_batch_size), None)
    safety_filter = make_filter(max_input_chars=MAX_CHARS + 100)
    # The canned answers hold 10 results per call (the last batch may be shorter and then fail the
    # check closed): the verdict does not matter here, only the number of calls.
    with contextlib.suppress(SafetyUnavailable):
        safety_filter.screen_input(text, language="en")
    calls = comprehend_stub.operations().count("DetectToxicContent")
    assert 0 < calls <= limits.max_toxicity_calls


def test_text_needing_more_calls_than_the_cap_is_refused_before_any_call(make_filter, comprehend_stub) -> None:
    limits = ServiceLimits(max_toxicity_calls=2)
    text = "word " * 6000  # 30 KB of ASCII: 30+ segments of 1 KB, 4+ calls
    with pytest.raises(InputRejected) as caught:
        make_filter(limits=limits, max_input_chars=40_000).screen_input(text, language="en")
    assert caught.value.status == 413 and caught.value.code == "text_too_long"
    assert comprehend_stub.operations() == []


FULLWIDTH_EMAIL = "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ"


@pytest.mark.parametrize(
    "fragment",
    [FULLWIDTH_EMAIL, "john\u2060@\u2060example.com", "ｊｏｈｎ @ ｅｘａｍｐｌｅ . ｃｏｍ", "john\u00ad@example.com"],
)
def test_fullwidth_and_format_character_emails_are_masked(make_filter, comprehend_stub, fragment: str) -> None:
    text = f"Please write to {fragment} by Friday, thanks."
    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, None)  # Comprehend misses it
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1), None)
    screening = make_filter().screen_input(text, language="en")
    assert screening.text == "Please write to [EMAIL] by Friday, thanks."
    (entity,) = screening.analysis["pii"]["entities"]
    assert text[entity["begin"] : entity["end"]] == fragment  # offsets are the caller's text


def test_comprehend_sees_the_normalized_text_and_its_offsets_map_back(make_filter, comprehend_stub) -> None:
    text = "Ｍｙ ｎａｍｅ ｉｓ Ｊｏｈｎ Ｓｍｉｔｈ and I live here."
    normalized = "My name is John Smith and I live here."
    begin = normalized.index("John Smith")
    entity = {"Type": "NAME", "BeginOffset": begin, "EndOffset": begin + len("John Smith"), "Score": 0.99}
    comprehend_stub.add_response("detect_pii_entities", {"Entities": [entity]}, {"Text": normalized, "LanguageCode": "en"})
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1), None)
    screening = make_filter().screen_input(text, language="en")
    assert screening.text == "Ｍｙ ｎａｍｅ ｉｓ [NAME] and I live here."


def test_text_without_anything_to_normalize_is_screened_as_sent(make_filter, comprehend_stub) -> None:
    text = "Café crème, naïve façade: ordinary accented text stays exactly as typed."
    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, {"Text": text, "LanguageCode": "en"})
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1), None)
    assert make_filter().screen_input(text, language="en").text == text
