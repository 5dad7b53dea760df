"""One strategy per check: each submits its Comprehend / Bedrock calls to the filter's pool and
collects their answers into a typed result. The filter runs them concurrently and decides.

* :class:`PiiCheck`: ``DetectPiiEntities`` per 100 KB chunk (overlapping) -> entities in text offsets.
* :class:`ToxicityCheck`: ``DetectToxicContent`` per batch of 1 KB segments -> a toxicity verdict;
  its :meth:`~ToxicityCheck.plan` refuses a text that would need more calls than the cap.
* :class:`GuardrailCheck`: ``ApplyGuardrail`` on the whole text -> a text-free summary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from .guardrail import apply_guardrail
from .language import LanguageRoute
from .pii import Entity, expand_to_tokens, map_chunk_entities
from .settings import SafetySettings
from .text import split_text
from .toxicity import batches, evaluate_comprehend

Submit = Callable[[Callable[[], Any]], Future]
#: (the call's context, its response) for each call of one check, in submission order.
Answers = Sequence[tuple[Any, Any]]


@dataclass(frozen=True, slots=True)
class PendingCall:
    check: str  # pii | toxicity | guardrail
    context: Any
    future: Future


class TooManyCalls(Exception):
    """The text would need more calls than a request may make."""

    def __init__(self, check: str, needed: int, allowed: int) -> None:
        super().__init__(f"{check} needs {needed} calls; at most {allowed} are allowed")
        self.check, self.needed, self.allowed = check, needed, allowed


class PiiCheck:
    name = "pii"

    def __init__(self, comprehend: Any, *, max_bytes: int, overlap_chars: int) -> None:
        self._comprehend = comprehend
        self._max_bytes = max_bytes
        self._overlap_chars = overlap_chars

    def submit(self, text: str, language: LanguageRoute, submit: Submit) -> list[PendingCall]:
        calls = []
        for begin, end in split_text(text, self._max_bytes, overlap_chars=self._overlap_chars):
            chunk = text[begin:end]
            future = submit(
                lambda chunk=chunk: self._comprehend.detect_pii_entities(Text=chunk, LanguageCode=language.pii_language)
            )
            calls.append(PendingCall(self.name, (begin, end), future))
        return calls

    @staticmethod
    def collect(text: str, answers: Answers) -> list[Entity]:
        found: list[Entity] = []
        for (begin, end), response in answers:
            found.extend(map_chunk_entities(response.get("Entities") or [], begin, end))
        return [expand_to_tokens(text, entity) for entity in found]


class ToxicityCheck:
    name = "toxicity"

    def __init__(self, comprehend: Any, settings: SafetySettings, *, segment_bytes: int, batch_size: int, max_calls: int) -> None:
        self._comprehend = comprehend
        self._settings = settings
        self._segment_bytes = segment_bytes
        self._batch_size = batch_size
        self._max_calls = max_calls

    def plan(self, text: str) -> list[Sequence[str]]:
        """The segments of each call; raises :class:`TooManyCalls` before anything is sent."""
        segments = [text[b:e] for b, e in split_text(text, self._segment_bytes) if text[b:e].strip()]
        planned = batches(segments, self._batch_size)
        if len(planned) > self._max_calls:
            raise TooManyCalls(self.name, len(planned), self._max_calls)
        return planned

    def submit(self, planned: list[Sequence[str]], submit: Submit) -> list[PendingCall]:
        calls = []
        for batch in planned:
            payload = [{"Text": segment} for segment in batch]
            future = submit(
                lambda payload=payload: self._comprehend.detect_toxic_content(TextSegments=payload, LanguageCode="en")
            )
            calls.append(PendingCall(self.name, len(batch), future))
        return calls

    def collect(self, answers: Answers) -> dict[str, Any]:
        results: list[Any] = []
        segments = 0
        for expected, response in answers:
            found = response.get("ResultList") or []
            if len(found) != expected:
                raise ValueError(f"DetectToxicContent returned {len(found)} results for {expected} segments")
            results.extend(found)
            segments += expected
        return evaluate_comprehend(results, self._settings, segments)


class GuardrailCheck:
    name = "guardrail"

    def __init__(self, bedrock_runtime: Any, settings: SafetySettings) -> None:
        self._bedrock = bedrock_runtime
        self._settings = settings

    def submit(self, text: str, source: str, submit: Submit) -> list[PendingCall]:
        settings = self._settings
        future = submit(
            lambda: apply_guardrail(
                self._bedrock,
                guardrail_arn=settings.guardrail_arn,
                guardrail_version=settings.guardrail_version,
                source=source,
                text=text,
            )
        )
        return [PendingCall(self.name, None, future)]

    @staticmethod
    def collect(answers: Answers) -> dict[str, Any]:
        return answers[-1][1]

    @staticmethod
    def as_toxicity(summary: dict[str, Any]) -> dict[str, Any]:
        """The guardrail's content filters, reported as the toxicity verdict (non-English text)."""
        return {
            "source": "guardrail",
            "blocked": summary["blocked"],
            "reasons": [f for f in summary["filters"] if f.startswith("contentPolicy:")],
            "filters": summary["filters"],
        }
