"""The orchestrator's side of the safety package (``lambdas/orchestrator/safety``).

All user text of a request (input, context, examples, instructions) is screened in **one**
``screen_input`` call, joined with a private-use separator, so the request has one placeholder
vault: two screenings would both hand out ``[NAME_1]`` for different people. The masked text is
split back into its parts; what the model sees is only masked text.

For chats the placeholders already in the stored history are appended as one more part, so a
new screening numbers past them instead of reusing ``[NAME_1]`` for someone else.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

from .errors import DEFAULT_RETRY_AFTER_SECONDS, DependencyUnavailable, from_safety_error
from .observability import logger

SEPARATOR_CHAR = "\ue000"  # Unicode private use: never meaningful in user text (stripped from it)
SEPARATOR = "\n" + SEPARATOR_CHAR + "\n"
_PLACEHOLDER_RE = re.compile(r"\[[A-Z][A-Z_]*_\d+\]")

_lock = threading.Lock()
_filter: Any = None


def safety_module() -> Any:
    import safety

    return safety


def get_filter() -> Any:
    """The process-wide ``SafetyFilter`` (settings from SAFETY_CONFIG, GUARDRAIL_ID/VERSION)."""
    global _filter
    if _filter is None:
        with _lock:
            if _filter is None:
                from . import clients
                from .observability import metrics

                safety = safety_module()
                _filter = safety.SafetyFilter(
                    safety.SafetySettings.from_env(),
                    comprehend=clients.client("comprehend"),
                    bedrock_runtime=clients.client("bedrock-runtime"),
                    metrics=metrics,
                )
    return _filter


def set_filter(value: Any) -> None:
    """Install a filter (tests, benchmarks)."""
    global _filter
    _filter = value


def clean(text: str) -> str:
    return text.replace(SEPARATOR_CHAR, "")


def history_placeholders(texts: Sequence[str]) -> str:
    """The distinct placeholders used so far in a conversation, as one line (no PII: only
    tokens such as ``[NAME_1]``)."""
    seen = dict.fromkeys(match for text in texts for match in _PLACEHOLDER_RE.findall(text))
    return " ".join(seen)


def _is_safety_error(exc: Exception) -> bool:
    try:
        return isinstance(exc, safety_module().SafetyError)
    except ImportError:
        return False


def _call_filter(method: str, *args: Any, field_map: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """``get_filter().<method>(...)`` with every failure mapped to an ApiError. A SafetyError maps
    by its own status; anything else (a filter that cannot be built, a malformed dependency
    response) fails closed as a 503, logged by type only (its message may quote the text)."""
    try:
        return getattr(get_filter(), method)(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - fail closed: nothing passes unchecked, never a 500
        if _is_safety_error(exc):
            raise from_safety_error(exc, field_map=field_map) from None
        logger.warning("safety check failed", extra={"operation": method, "error_type": type(exc).__name__})
        raise DependencyUnavailable(
            "the safety screening could not run; the text was not passed on unchecked. Retry later",
            retry_after=DEFAULT_RETRY_AFTER_SECONDS,
        ) from None


def screen_parts(
    parts: Sequence[str], *, primary_field: str, guardrail: bool, reserved: str = ""
) -> tuple[list[str], Any]:
    """Screen ``parts`` (and ``reserved``, the placeholders a conversation already uses, as one
    more part) as one text; return (masked parts, the InputScreening). The separators and the
    reserved placeholders are the service's, not the caller's: they do not count against the
    input limit (validation already counted the caller's text)."""
    cleaned = [clean(part) for part in parts]
    joined = SEPARATOR.join([*cleaned, reserved] if reserved else cleaned)
    screening = _call_filter(
        "screen_input",
        joined,
        language=None,  # the text's own (the API takes no language here): errors name the text's field
        guardrail=guardrail,
        added_chars=len(joined) - sum(map(len, cleaned)),
        field_map={"text": primary_field, "language": primary_field},
    )
    masked = screening.text.split(SEPARATOR_CHAR)
    if len(masked) != len(parts) + bool(reserved):
        raise DependencyUnavailable("the safety screening could not be applied to this request; try again")
    for index, part in enumerate(masked):
        if index > 0 and part.startswith("\n"):
            part = part[1:]
        if index < len(masked) - 1 and part.endswith("\n"):
            part = part[:-1]
        masked[index] = part
    return masked[: len(parts)], screening


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


def screen_output(text: str, screening: Any, *, guardrail: bool) -> Any:
    return _call_filter("screen_output", text, screening=screening, guardrail=guardrail, field_map={"text": "output"})


def moderate(text: str, language: str | None) -> dict[str, Any]:
    return _call_filter("moderate", text, language=language)
