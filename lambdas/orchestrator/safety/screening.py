"""What a screening returns (:class:`InputScreening`, :class:`OutputScreening`) and the API limits
the filter works within (:class:`ServiceLimits`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .pii import PlaceholderVault


@dataclass(frozen=True)
class ServiceLimits:
    """Request limits of the APIs (README.md beside this file gives the sources). Tests shrink them."""

    pii_max_bytes: int = 100_000  # DetectPiiEntities: Text up to 100 KB of UTF-8
    pii_overlap_chars: int = 200  # overlap between PII chunks so a cut entity is whole in one
    language_max_bytes: int = 100_000  # DetectDominantLanguage: Text up to 100 KB of UTF-8
    language_min_chars: int = 20  # DetectDominantLanguage: "at least 20 characters"
    toxicity_segment_bytes: int = 1_000  # DetectToxicContent: each segment at most 1 KB
    toxicity_batch_size: int = 10  # DetectToxicContent: up to 10 segments per call
    # DetectToxicContent calls per screening: 16 calls = 160 segments, twice what the longest text the
    # default max_input_chars allows (20,000 four-byte characters = 80 KB) needs. Hostile text (only
    # combining marks or joiners) cannot raise the count: segments always fill a quarter of 1 KB.
    max_toxicity_calls: int = 16
    max_workers: int = 8


@dataclass(frozen=True, repr=False)
class InputScreening:
    """Result of :meth:`SafetyFilter.screen_input`.

    ``text`` is what the model may see (masked); ``analysis`` is JSON-able for the API's
    ``safety`` field; :meth:`restore` puts pseudonymized values back (identity in redact mode).
    The placeholder mapping lives only in this object: it is not in ``analysis`` or ``repr``.
    """

    text: str
    language: str
    analysis: dict[str, Any]
    _vault: PlaceholderVault | None = field(default=None, compare=False)

    def restore(self, text: str) -> str:
        if self._vault is None:
            return text
        return self._vault.restore(text)

    def placeholder_spans(self, text: str) -> list[tuple[int, int]]:
        return [] if self._vault is None else self._vault.placeholder_spans(text)

    def __repr__(self) -> str:
        return (
            f"InputScreening(language={self.language!r}, chars={len(self.text)}, "
            f"masked={self.analysis.get('pii', {}).get('masked_count', 0)})"
        )


@dataclass(frozen=True, repr=False)
class OutputScreening:
    """Result of :meth:`SafetyFilter.screen_output`: ``text`` is ready for the caller."""

    text: str
    analysis: dict[str, Any]

    def __repr__(self) -> str:
        return f"OutputScreening(chars={len(self.text)})"
