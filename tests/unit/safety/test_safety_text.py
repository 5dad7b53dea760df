"""Input validation (400/413) and UTF-8-bounded splitting."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from safety import InputRejected
from safety.text import sanitize_output, split_text, utf8_len, validate_text


@pytest.mark.parametrize(
    ("value", "code", "status"),
    [
        ("", "empty_text", 400),
        ("   \n\t ", "empty_text", 400),
        ("x" * 101, "text_too_long", 413),
        (b"caf\xc3", "invalid_encoding", 400),
        (b"\xff\xfehello", "invalid_encoding", 400),
        ("bad \ud800 surrogate", "invalid_encoding", 400),
        ("bell \x07 here", "invalid_characters", 400),
        ("nul \x00 here", "invalid_characters", 400),
        ("escape \x1b[31m", "invalid_characters", 400),
        ("del \x7f", "invalid_characters", 400),
        ("c1 \x85 next line", "invalid_characters", 400),
        (12345, "invalid_type", 400),
        (None, "invalid_type", 400),
    ],
)
def test_bad_input_is_a_clear_4xx(value, code, status):
    with pytest.raises(InputRejected) as caught:
        validate_text(value, max_chars=100)
    error = caught.value
    assert (error.code, error.status, error.field, error.retryable) == (code, status, "text", False)
    assert error.to_dict()["code"] == code


def test_allowed_whitespace_controls_and_utf8_bytes_pass():
    assert validate_text("a\tb\r\nc", max_chars=100) == "a\tb\r\nc"
    assert validate_text("café ☕".encode(), max_chars=100) == "café ☕"


def test_messages_never_contain_the_text():
    secret = "my password is hunter2\x07"
    with pytest.raises(InputRejected) as caught:
        validate_text(secret, max_chars=1000)
    assert "hunter2" not in caught.value.message
    assert "U+0007" in caught.value.message


def test_sanitize_output_never_rejects():
    assert sanitize_output("ok\x00 \ud800 fine\n") == "ok \ufffd fine\n"
    assert sanitize_output(b"caf\xc3") == "caf\ufffd"


MULTIBYTE = "Añadir 😀 emoji, 漢字 and café. " * 40 + "\n\nSecond paragraph é😀 here. " * 30


@pytest.mark.parametrize("max_bytes", [4, 7, 50, 333, 1000])
@pytest.mark.parametrize("overlap", [0, 20])
def test_spans_cover_the_text_within_the_byte_budget(max_bytes, overlap):
    spans = split_text(MULTIBYTE, max_bytes, overlap_chars=overlap)
    assert spans[0][0] == 0
    assert spans[-1][1] == len(MULTIBYTE)
    for (begin, end), (next_begin, _next_end) in itertools.pairwise(spans):
        assert begin < next_begin <= end  # ordered, contiguous or overlapping, always progressing
        if overlap == 0:
            assert next_begin == end
    for begin, end in spans:
        chunk = MULTIBYTE[begin:end]
        assert 0 < utf8_len(chunk) <= max_bytes
        chunk.encode("utf-8")  # a whole number of characters: encodes without error


def test_small_text_is_one_span():
    assert split_text("héllo", 100) == [(0, 5)]
    assert split_text("", 100) == []


def test_cut_prefers_paragraph_then_sentence_then_whitespace():
    text = "First sentence here. Second one follows.\n\nNew paragraph starts here and continues on."
    (first, _), *_ = [split_text(text, 60)]
    assert text[first[0] : first[1]].endswith("\n\n")

    text = "Alpha beta gamma delta. Epsilon zeta eta theta iota kappa lambda"
    spans = split_text(text, 40)
    assert text[spans[0][0] : spans[0][1]] == "Alpha beta gamma delta. "

    text = "alpha beta gamma delta epsilon zeta eta theta"
    spans = split_text(text, 20)
    assert all(text[b:e].endswith(" ") or e == len(text) for b, e in spans)


def test_hard_cut_keeps_combining_marks_and_joiners_with_their_base():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # ZWJ sequence
    text = ("e\u0301" * 30) + family * 10  # no whitespace at all
    for begin, end in split_text(text, 40):
        chunk = text[begin:end]
        assert not unicodedata.combining(chunk[0])
        assert chunk[0] != "\u200d"
        assert chunk[-1] != "\u200d"


def test_overlap_starts_at_a_word_and_repeats_the_cut_region():
    text = " ".join(f"word{i}" for i in range(200))
    spans = split_text(text, 200, overlap_chars=40)
    for (_begin, end), (next_begin, _next_end) in itertools.pairwise(spans):
        assert next_begin < end
        assert text[next_begin - 1] == " "


def test_rejects_a_budget_below_one_character():
    with pytest.raises(ValueError):
        split_text("abc", 3)


def test_byte_offsets_of_mixed_text_match_a_character_by_character_count() -> None:
    """The run-wise offsets (ASCII runs as ranges) equal the per-character UTF-8 lengths summed."""
    import random

    from safety.text import _byte_offsets

    rng = random.Random(13)
    alphabet = "ab c\n\ue000\u00e9\u0416\u4e2d\U0001f600\u0301"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        expected = None if text.isascii() else [len(text[:i].encode("utf-8")) for i in range(len(text) + 1)]
        assert _byte_offsets(text) == expected, repr(text)
