"""The detection form of a text: NFKC, without format characters, with a map back to the caller's text.

Pattern checks and detectors look at this form, so an e-mail address typed in fullwidth letters
(``ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ``), a fullwidth ``＜`` or a zero-width character inside a tag name is
seen as what it reads as. What is *changed* (masked, escaped) is the caller's own text, at the
offsets mapped back; everything else keeps the caller's characters.

Text that is already NFKC and has no format character (all ASCII text, most other text) is its
own detection form: no copy, no map.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Unicode format characters (category Cf: zero-width space/joiners, bidi controls, word joiner,
#: soft hyphen, BOM, tag characters, ...) and variation selectors, as of Unicode 14
#: (Python 3.11's ``unicodedata``). They change no letter, so detection drops them.
FORMAT_CHARACTERS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufe00-\ufe0f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef"
)
FORMAT_RE = re.compile(f"[{FORMAT_CHARACTERS}]")


def is_format_character(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or FORMAT_RE.match(char) is not None


def needs_normalizing(text: str) -> bool:
    return not text.isascii() and (not unicodedata.is_normalized("NFKC", text) or FORMAT_RE.search(text) is not None)


@dataclass(frozen=True, slots=True)
class DetectionView:
    """``text`` is what detectors see; :meth:`original_span` maps a span of it to the caller's text."""

    text: str
    original_length: int
    _origin: tuple[int, ...] | None = None  # detection index -> caller index; None: the same text

    @classmethod
    def of(cls, text: str) -> DetectionView:
        if not needs_normalizing(text):
            return cls(text, len(text))
        pieces: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(text):
            if is_format_character(char):
                continue
            # Per character, so each piece maps to one caller character (NFKC may expand one
            # character into several, e.g. U+FB01 -> "fi"; it never merges across characters here).
            piece = unicodedata.normalize("NFKC", char)
            pieces.append(piece)
            origin.extend([index] * len(piece))
        return cls("".join(pieces), len(text), tuple(origin))

    @property
    def identical(self) -> bool:
        return self._origin is None

    def original_span(self, begin: int, end: int) -> tuple[int, int]:
        """The caller's characters behind ``text[begin:end]`` (whole characters, end exclusive)."""
        origin = self._origin
        if origin is None:
            return begin, end
        if not origin:
            return 0, 0
        first = origin[begin] if begin < len(origin) else self.original_length
        last = origin[end - 1] + 1 if 0 < end <= len(origin) else self.original_length
        return first, max(first, last)
