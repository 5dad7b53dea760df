"""Releasing a streamed answer in screened windows.

The model's text collects in ``pending``. A window is ready once ``window_chars`` new characters
arrived, or a sentence ended after at least ``min_window_chars``. Each screening sees all of
``pending`` (the held-back tail of the previous window plus the new text) through the same safety
filter as the buffered routes (PII, toxicity and, where the backend does not apply it, the
guardrail); then everything up to a cut is released and the last ``tail_chars`` are held back for the
next screening. So an entity split across two windows is screened whole: if it starts before the cut
and ends inside the tail, this screening saw all of it (the cut moves to its start); if it starts in
the tail, the next screening sees all of it. Entities longer than ``tail_chars`` (no PII type
Comprehend reports comes close to the 64-character default) are the limit of the scheme.

A window that fails raises the filter's error (422 ``blocked_by_safety`` / 503): its text, and the
held tail, are never released. The released text is the filter's masked text, cut at the same place:
the cut is mapped through the masked spans (``[TYPE]`` replacements reported with their offsets in
``analysis.pii.entities``), and any mismatch fails closed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import DependencyUnavailable
from ..safety_gate import KeepPlaceholders, SafetyGate

_SENTENCE_END = re.compile(r"[.!?;:\u3002\uff01\uff1f](?=\s)|\n")
_PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*(?:_\d+)?\]")


@dataclass(frozen=True, slots=True)
class WindowLimits:
    window_chars: int = 400
    min_window_chars: int = 40
    tail_chars: int = 64


class OutputWindows:
    """``feed(text)`` / ``finish()`` -> texts the caller may see, in order; ``stored`` is the screened
    reply in placeholder form (what chat history keeps)."""

    def __init__(
        self,
        gate: SafetyGate,
        screening: Any,
        *,
        guardrail: bool,
        limits: WindowLimits,
        sanitize: Callable[[str], str],
    ) -> None:
        self._gate = gate
        self._keep = KeepPlaceholders(screening)  # masks new PII, keeps the caller's placeholders
        self._restore = screening.restore
        self._guardrail = guardrail
        self._limits = limits
        self._sanitize = sanitize
        self._pending = ""
        self._new = 0  # characters added since the last screening
        self.stored: list[str] = []
        self.screenings = 0

    def feed(self, text: str) -> list[str]:
        text = self._sanitize(text)
        self._pending += text
        self._new += len(text)
        if not self._ready(text):
            return []
        return self._release(final=False)

    def finish(self) -> list[str]:
        if not self._pending:
            return []
        return self._release(final=True)

    @property
    def reply(self) -> str:
        return "".join(self.stored)

    def _ready(self, added: str) -> bool:
        limits = self._limits
        if self._new >= limits.window_chars:
            return True
        releasable = len(self._pending) - limits.tail_chars
        return releasable >= limits.min_window_chars and bool(_SENTENCE_END.search(self._pending[-len(added) - 1 :]))

    def _release(self, *, final: bool) -> list[str]:
        pending = self._pending
        output = self._gate.screen_output(pending, self._keep, guardrail=self._guardrail)
        self.screenings += 1
        self._new = 0
        masks = _masked_spans(output.analysis)
        cut = len(pending) if final else _cut(pending, len(pending) - self._limits.tail_chars, masks)
        if cut <= 0:
            return []
        released = _masked_prefix(output.text, pending, cut, masks)
        self._pending = pending[cut:]
        self.stored.append(released)
        return [self._restore(released)] if released else []


def _masked_spans(analysis: Any) -> list[tuple[int, int, str]]:
    entities = (analysis or {}).get("pii", {}).get("entities", []) if isinstance(analysis, dict) else []
    spans = [(int(e["begin"]), int(e["end"]), str(e["type"])) for e in entities if e.get("action") == "mask"]
    return sorted(spans)


def _cut(text: str, limit: int, masks: list[tuple[int, int, str]]) -> int:
    """The last sentence end (else whitespace) at or before ``limit``, moved back so that it splits
    neither a masked entity nor a placeholder."""
    if limit <= 0:
        return 0
    head = text[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    cut = ends[-1] if ends else max(head.rfind(" "), head.rfind("\n")) + 1 or limit
    moved = True
    while moved and cut > 0:
        moved = False
        for begin, end, _ in masks:
            if begin < cut < end:
                cut, moved = begin, True
        for match in _PLACEHOLDER.finditer(text):
            if match.start() < cut < match.end():
                cut, moved = match.start(), True
    return cut


def _masked_prefix(masked: str, raw: str, cut: int, masks: list[tuple[int, int, str]]) -> str:
    """``masked`` up to the position of ``raw[:cut]``; fails closed when the spans do not line up."""
    shift = 0
    for begin, end, kind in masks:
        if end > cut:
            break
        token = f"[{kind}]"
        at = begin + shift
        if masked[at : at + len(token)] != token:
            raise DependencyUnavailable("the streamed answer could not be screened consistently; the stream was ended")
        shift += len(token) - (end - begin)
    if not masks and len(masked) != len(raw):
        raise DependencyUnavailable("the streamed answer could not be screened consistently; the stream was ended")
    return masked[: cut + shift]
