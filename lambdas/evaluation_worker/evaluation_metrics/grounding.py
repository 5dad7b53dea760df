""""I don't know" correctness and citation precision (hand-written).

The answer and chat prompts say: "If you are not sure ..., answer 'I don't know'". An item tagged
``unanswerable`` is answered correctly only by abstaining; any other item only by not abstaining.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .text import normalize

#: Normalized phrases that mean "I don't know" (English and Spanish; normalization removes accents).
ABSTENTIONS = (
    "i dont know",
    "i do not know",
    "i don t know",
    "no lo se",
    "no tengo esa informacion",
    "reference text does not contain",
    "texto de referencia no contiene",
)
_CITATION = re.compile(r"\[(?:source\s*|fuente\s*)?([A-Za-z0-9][\w.-]{0,63})\]", re.IGNORECASE)


def abstains(output: str) -> bool:
    normalized = normalize(output)
    return any(normalized == phrase or normalized.startswith(phrase + " ") or f" {phrase} " in f" {normalized} "
               for phrase in ABSTENTIONS)


def idk_correct(output: str, *, unanswerable: bool) -> float:
    return 1.0 if abstains(output) == unanswerable else 0.0


def citations(output: str) -> list[str]:
    """Citation markers in the output: ``[1]``, ``[doc-3]``, ``[source 2]`` -> "1", "doc-3", "2"."""
    return [match.group(1).lower() for match in _CITATION.finditer(output)]


def citation_counts(output: str, expected: Iterable[str]) -> tuple[int, int]:
    """(correct, cited): the markers that name one of the item's supporting sources, and all markers."""
    wanted = {str(source).lower() for source in expected}
    cited = citations(output)
    return sum(1 for marker in cited if marker in wanted), len(cited)


def citation_precision(pairs: Sequence[tuple[int, int]]) -> float | None:
    """Micro-averaged precision over the items' citations; None when nothing was cited."""
    cited = sum(total for _, total in pairs)
    return None if cited == 0 else sum(correct for correct, _ in pairs) / cited
