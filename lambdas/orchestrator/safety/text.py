"""Text validation and UTF-8-size-bounded splitting with offset bookkeeping.

Comprehend's limits are in UTF-8 bytes while Python indexes code points, so every split works
on character indices (it can never cut inside a multi-byte character) and checks sizes in bytes.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate

from .errors import InputRejected

_ALLOWED_CONTROLS = frozenset("\n\r\t")
# C0 and C1 controls and DEL (Unicode category Cc), minus \t \n \r.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")
# The end of a sentence: terminal punctuation, optional closing quotes/brackets, then whitespace.
_SENTENCE_END_RE = re.compile(r"[.!?\u3002\uff01\uff1f\u2026][\"'\u201d\u2019)\]]*\s")
_WHITESPACE_RE = re.compile(r"\s")
_NON_ASCII_RUN_RE = re.compile(r"[^\x00-\x7f]+")
# Characters that must stay with the character before them (combining marks are checked apart).
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")


def validate_text(text: object, *, max_chars: int, field: str = "text") -> str:
    """Return ``text`` as ``str`` or raise :class:`InputRejected` (400/413).

    Accepts ``str`` or UTF-8 ``bytes``. Rejects: not text, invalid UTF-8 (including lone
    surrogates), empty or whitespace-only, longer than ``max_chars`` (413), control characters
    other than ``\\n``, ``\\r``, ``\\t``. Messages give positions and sizes, never content.
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputRejected(
                f"{field} is not valid UTF-8 (invalid byte at offset {exc.start})",
                code="invalid_encoding",
                field=field,
            ) from None
    if not isinstance(text, str):
        raise InputRejected(f"{field} must be a string", code="invalid_type", field=field)
    surrogate = None if text.isascii() else _SURROGATE_RE.search(text)  # ASCII has no surrogate: skip the scan
    if surrogate:
        raise InputRejected(
            f"{field} is not valid UTF-8 (unpaired surrogate at character {surrogate.start()})",
            code="invalid_encoding",
            field=field,
        )
    if not text.strip():
        raise InputRejected(f"{field} must not be empty", code="empty_text", field=field)
    if len(text) > max_chars:
        raise InputRejected(
            f"{field} has {len(text)} characters; the maximum is {max_chars}",
            code="text_too_long",
            status=413,
            field=field,
        )
    control = _CONTROL_RE.search(text)
    if control:
        raise InputRejected(
            f"{field} contains a control character (U+{ord(control.group()):04X} at character "
            f"{control.start()}); only \\n, \\r and \\t are allowed",
            code="invalid_characters",
            field=field,
        )
    return text


def sanitize_output(text: object) -> str:
    """Make a model's output safe to screen: never rejects (the caller did nothing wrong).

    Bytes are decoded with replacement, lone surrogates become U+FFFD, disallowed control
    characters are dropped.
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = bytes(text).decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise TypeError("model output must be str or bytes")
    if not text.isascii() and _SURROGATE_RE.search(text):
        text = _SURROGATE_RE.sub("\ufffd", text)
    return _CONTROL_RE.sub("", text)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))


def _char_utf8_len(char: str) -> int:
    code = ord(char)
    if code < 0x80:
        return 1
    if code < 0x800:
        return 2
    if code < 0x10000:
        return 3
    return 4


def _byte_offsets(text: str) -> list[int] | None:
    """Cumulative UTF-8 offsets per character, ``len(text) + 1`` of them (``None`` for ASCII text:
    offset == index). ASCII runs are added as ranges (C speed), so text that is ASCII but for a few
    characters (e.g. the private-use separators between screened parts) costs little more than
    ASCII; only the non-ASCII characters are measured one by one."""
    if text.isascii():
        return None
    offsets: list[int] = []
    char = byte = 0
    for run in _NON_ASCII_RUN_RE.finditer(text):
        ascii_chars = run.start() - char
        offsets.extend(range(byte, byte + ascii_chars))
        byte += ascii_chars
        offsets.extend(accumulate(map(_char_utf8_len, run.group()[:-1]), initial=byte))
        byte = offsets[-1] + _char_utf8_len(run.group()[-1])
        char = run.end()
    offsets.extend(range(byte, byte + len(text) - char + 1))
    return offsets


def split_text(text: str, max_bytes: int, *, overlap_chars: int = 0) -> list[tuple[int, int]]:
    """Split ``text`` into ``(start, end)`` character spans of at most ``max_bytes`` UTF-8 bytes.

    Spans cover the whole text in order. A cut prefers, within the second half of the window, a
    paragraph break, then a sentence end, then (within its last three quarters) whitespace, and
    only then a hard cut, which still falls between characters and is moved back (within the last
    three quarters) so that it does not separate a combining mark, variation selector or zero-width
    joiner from what it modifies.
    With ``overlap_chars`` each span after the first starts up to that many characters before the
    previous cut (at a word start), so an entity cut by one span is whole in the next one.
    """
    if max_bytes < 4:
        raise ValueError("max_bytes must be at least 4 (one UTF-8 character)")
    n = len(text)
    offsets = _byte_offsets(text)
    if (offsets[-1] if offsets is not None else n) <= max_bytes:
        return [(0, n)] if n else []

    def byte_at(i: int) -> int:
        return i if offsets is None else offsets[i]

    spans: list[tuple[int, int]] = []
    start = 0
    while start < n:
        budget = byte_at(start) + max_bytes
        if byte_at(n) <= budget:
            spans.append((start, n))
            break
        hard_end = budget if offsets is None else bisect_right(offsets, budget) - 1
        cut = _best_cut(text, start, hard_end)
        spans.append((start, cut))
        next_start = cut
        if overlap_chars > 0:
            back = min(overlap_chars, (cut - start) // 4)
            if back > 0:
                candidate = cut - back
                ws = _WHITESPACE_RE.search(text, candidate, cut)
                if ws is not None and ws.end() < cut:
                    next_start = ws.end()
        start = next_start
    return spans


def _best_cut(text: str, start: int, hard_end: int) -> int:
    window = hard_end - start
    half = start + window // 2
    paragraph = text.rfind("\n\n", half, hard_end)
    if paragraph != -1:
        return paragraph + 2
    last_sentence = None
    for match in _SENTENCE_END_RE.finditer(text, half, hard_end):
        last_sentence = match
    if last_sentence is not None:
        return last_sentence.end()
    quarter = start + window // 4
    for i in range(hard_end - 1, quarter - 1, -1):
        if text[i].isspace():
            return i + 1
    # Keep a combining mark, variation selector or joiner with what it modifies, but never back
    # past the window's first quarter: a text made only of such characters (one long "cluster")
    # is then cut through, so every span but the last holds at least a quarter of the window and
    # the number of spans (of Comprehend calls) stays proportional to the text's size.
    cut = hard_end
    while cut > quarter and _clings(text, cut):
        cut -= 1
    return cut if cut > quarter else hard_end


def _clings(text: str, index: int) -> bool:
    """May not ``text`` be cut just before ``index``?"""
    return bool(unicodedata.combining(text[index])) or text[index] in _JOINERS or text[index - 1] == "\u200d"
