"""The orchestrator's side of the safety package (``lambdas/orchestrator/safety``).

All caller text of a request (input, context, examples, instructions) is screened in **one**
``screen_input`` call, so the request has one placeholder vault: two screenings would both hand
out ``[NAME_1]`` for different people. :class:`CallerText` names every piece and is the only
place that joins them (with a private-use separator) and splits the masked text back;
:class:`ScreenedRequest` is the typed result the service builds the prompt from.

For chats the placeholders already in the stored history are screened along, so a new screening
numbers past them instead of reusing ``[NAME_1]`` for someone else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import DEFAULT_RETRY_AFTER_SECONDS, DependencyUnavailable, from_safety_error
from .observability import logger
from .prompts import Example, Instructions

SEPARATOR_CHAR = "\ue000"  # Unicode private use: never meaningful in user text (stripped from it)
SEPARATOR = "\n" + SEPARATOR_CHAR + "\n"
_PLACEHOLDER_RE = re.compile(r"\[[A-Z][A-Z_]*_\d+\]")


def clean(text: str) -> str:
    return text.replace(SEPARATOR_CHAR, "")


def history_placeholders(texts: Sequence[str]) -> str:
    """The distinct placeholders used so far in a conversation, as one line (no PII: only
    tokens such as ``[NAME_1]``)."""
    seen = dict.fromkeys(match for text in texts for match in _PLACEHOLDER_RE.findall(text))
    return " ".join(seen)


@dataclass(frozen=True, slots=True)
class CallerText:
    """Every piece of caller text of one request; ``reserved`` carries history placeholders."""

    input: str
    context: str = ""
    examples: tuple[Example, ...] = ()
    instructions: Instructions = field(default_factory=Instructions)
    reserved: str = ""

    def named_parts(self) -> dict[str, str]:
        """Every non-empty piece by name (``input``, ``context``, ``examples[0].input``, ...)."""
        ins = self.instructions
        pieces = {"input": self.input, "context": self.context}
        for index, example in enumerate(self.examples):
            pieces[f"examples[{index}].input"] = example.input
            pieces[f"examples[{index}].output"] = example.output
        pieces.update(tone=ins.tone or "", language=ins.language or "", output_format=ins.output_format or "")
        pieces.update({f"constraints[{index}]": text for index, text in enumerate(ins.constraints)})
        pieces["reserved"] = self.reserved
        return {name: text for name, text in pieces.items() if text}

    def replaced(self, by_name: dict[str, str]) -> CallerText:
        """The same shape with each named piece replaced (pieces not named are kept)."""

        def piece(name: str, current: str) -> str:
            return by_name.get(name, current)

        ins = self.instructions
        return CallerText(
            input=piece("input", self.input),
            context=piece("context", self.context),
            examples=tuple(
                Example(input=piece(f"examples[{i}].input", e.input), output=piece(f"examples[{i}].output", e.output))
                for i, e in enumerate(self.examples)
            ),
            instructions=Instructions(
                tone=piece("tone", ins.tone or "") or None,
                constraints=tuple(piece(f"constraints[{i}]", text) for i, text in enumerate(ins.constraints)),
                language=piece("language", ins.language or "") or None,
                output_format=piece("output_format", ins.output_format or "") or None,
            ),
            reserved=piece("reserved", self.reserved),
        )


@dataclass(frozen=True, slots=True)
class ScreenedRequest:
    """The masked caller text (what the model may see) and the screening (analysis, restore)."""

    text: CallerText
    screening: Any  # safety.InputScreening


class KeepPlaceholders:
    """An InputScreening whose ``restore`` is the identity: screening output through it gives
    the text to *store* (new PII masked, the user's pseudonyms still placeholders); the caller's
    copy is then ``screening.restore(stored)``."""

    __slots__ = ("_screening",)

    def __init__(self, screening: Any) -> None:
        self._screening = screening

    def __getattr__(self, name: str) -> Any:
        return getattr(self._screening, name)

    def restore(self, text: str) -> str:
        return text


class SafetyGate:
    """The safety filter (built once in ``handler.py``) with every failure mapped to an ApiError."""

    def __init__(self, safety_filter: Any) -> None:
        self.filter = safety_filter

    def screen_request(
        self, text: CallerText, *, primary_field: str, guardrail: bool, language: str | None = None
    ) -> ScreenedRequest:
        """``language``: the request's ``language`` field (the screening uses it instead of detecting one,
        and an unsupported one is the caller's error on that field); None: detected from the text."""
        named = {name: clean(part) for name, part in text.named_parts().items()}
        # The separators and the reserved placeholders are the service's, not the caller's: they do
        # not count against the input limit (validation already counted the caller's text).
        caller_chars = sum(len(part) for name, part in named.items() if name != "reserved")
        masked, screening = self._screen_parts(
            named, primary_field=primary_field, guardrail=guardrail, caller_chars=caller_chars, language=language
        )
        return ScreenedRequest(text=text.replaced(masked), screening=screening)

    def screen_documents(self, documents: Sequence[str], *, reserved: str, guardrail: bool) -> tuple[list[str], Any]:
        """Retrieved text through the input policy (PII masked, toxicity, the guardrail where asked),
        in its own screening: its placeholders number past ``reserved`` (the caller's) and are never
        restored for the caller. None of it counts against the caller's input limit."""
        named = {f"documents[{index}]": clean(text) for index, text in enumerate(documents)}
        if reserved:
            named["reserved"] = reserved
        masked, screening = self._screen_parts(named, primary_field="knowledge_base", guardrail=guardrail, caller_chars=0)
        return [masked[f"documents[{index}]"] for index in range(len(documents))], screening

    def _screen_parts(
        self, named: dict[str, str], *, primary_field: str, guardrail: bool, caller_chars: int, language: str | None = None
    ) -> tuple[dict[str, str], Any]:
        """Screen the named parts in one call (one placeholder vault); the masked parts by name."""
        parts = list(named.values())
        joined = SEPARATOR.join(parts)
        # A detected language is the text's own: an unsupported one names the text's field. A given one
        # is the caller's ``language`` field, which keeps its name.
        field_map = {"text": primary_field} if language is not None else {"text": primary_field, "language": primary_field}
        screening = self._call(
            "screen_input", joined, language=language, guardrail=guardrail, added_chars=len(joined) - caller_chars,
            field_map=field_map,
        )
        masked = screening.text.split(SEPARATOR_CHAR)
        if len(masked) != len(parts):
            raise DependencyUnavailable("the safety screening could not be applied to this request; try again")
        last = len(masked) - 1
        for index, part in enumerate(masked):
            if index > 0 and part.startswith("\n"):
                part = part[1:]
            if index < last and part.endswith("\n"):
                part = part[:-1]
            masked[index] = part
        return dict(zip(named, masked, strict=True)), screening

    def screen_output(self, text: str, screening: Any, *, guardrail: bool) -> Any:
        return self._call("screen_output", text, screening=screening, guardrail=guardrail, field_map={"text": "output"})

    def moderate(self, text: str, language: str | None) -> dict[str, Any]:
        """The safety package's full analysis, shaped for highlighting: PII offsets index ``text`` as the
        caller sent it, toxicity labels are a list."""
        cleaned = clean(text)
        analysis = self._call("moderate", cleaned, language=language)
        return for_highlighting(analysis, text if cleaned != text else None)

    def _call(self, method: str, *args: Any, field_map: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """``filter.<method>(...)`` with every failure mapped to an ApiError. A SafetyError maps by
        its own status; anything else (a malformed dependency response) fails closed as a 503,
        logged by type only (its message may quote the text)."""
        from safety import SafetyError

        try:
            return getattr(self.filter, method)(*args, **kwargs)
        except SafetyError as exc:
            raise from_safety_error(exc, field_map=field_map) from None
        except Exception as exc:  # noqa: BLE001 - fail closed: nothing passes unchecked, never a 500
            logger.warning("safety check failed", extra={"operation": method, "error_type": type(exc).__name__})
            raise DependencyUnavailable(
                "the safety screening could not run; the text was not passed on unchecked. Retry later",
                retry_after=DEFAULT_RETRY_AFTER_SECONDS,
            ) from None


def for_highlighting(analysis: dict[str, Any], original: str | None) -> dict[str, Any]:
    """``pii.entities`` offsets into ``original`` (the caller's text before :func:`clean` removed the
    separator character; None: nothing was removed) and ``toxicity.labels`` as ``[{"name", "score"}]``,
    highest score first. The safety package already maps its spans from the NFKC detection form back to
    the text it was given, so the offsets count the caller's code points."""
    pii = analysis.get("pii")
    if original is not None and isinstance(pii, dict):
        kept = [index for index, char in enumerate(original) if char != SEPARATOR_CHAR]
        for entity in pii.get("entities", ()):
            begin, end = entity["begin"], entity["end"]
            entity["begin"] = kept[begin] if begin < len(kept) else len(original)
            entity["end"] = max(entity["begin"], kept[end - 1] + 1 if 0 < end <= len(kept) else len(original))
    toxicity = analysis.get("toxicity")
    if isinstance(toxicity, dict):
        scores = toxicity.get("labels")
        if isinstance(scores, dict):  # Comprehend: label -> highest score over the text
            labels = [{"name": name, "score": score} for name, score in scores.items()]
            toxicity["labels"] = sorted(labels, key=lambda label: (-label["score"], label["name"]))
        elif toxicity.get("source") == "guardrail":  # the content filters that fired have no score
            fired = [name.split(":", 1)[1] for name in toxicity.get("filters", ()) if name.startswith("contentPolicy:")]
            toxicity["labels"] = [{"name": name, "score": None} for name in fired]
        else:
            toxicity.setdefault("labels", [])
    return analysis
