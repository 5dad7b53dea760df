"""Language routing: which language a text is screened in, and which service checks its toxicity.

Comprehend's PII detection takes English and Spanish; its toxicity detection English only, so
other languages' toxicity goes to the Bedrock guardrail (``toxicity_route == "guardrail"``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from .errors import InputRejected
from .settings import COMPREHEND_PII_LANGUAGES, COMPREHEND_TOXICITY_LANGUAGES, SafetySettings
from .text import split_text

LANGUAGE_TAG_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True, slots=True)
class LanguageRoute:
    code: str  # the language used for routing (may be unsupported when not strict)
    source: str  # request | settings | comprehend | default | skipped | input
    pii_language: str  # the language sent to DetectPiiEntities
    toxicity_route: str  # comprehend | guardrail


def route(code: str, *, source: str) -> LanguageRoute:
    pii_language = code if code in COMPREHEND_PII_LANGUAGES else "en"
    toxicity = "comprehend" if code in COMPREHEND_TOXICITY_LANGUAGES else "guardrail"
    return LanguageRoute(code=code, source=source, pii_language=pii_language, toxicity_route=toxicity)


class LanguageDetectionFailed(Exception):
    """DetectDominantLanguage failed; ``cause`` is the original exception."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause


class LanguageRouter:
    """Resolves a request's language: the caller's, the settings', or Comprehend's guess."""

    def __init__(
        self,
        settings: SafetySettings,
        comprehend: Any,
        submit: Callable[[Callable[[], Any]], Future],
        *,
        max_bytes: int,
        min_chars: int,
        record_latency: Callable[[str, float], None],
    ) -> None:
        self.settings = settings
        self._comprehend = comprehend
        self._submit = submit
        self._max_bytes = max_bytes
        self._min_chars = min_chars
        self._record_latency = record_latency

    def resolve(self, text: str, requested: Any, deadline: float) -> LanguageRoute:
        """Raises :class:`InputRejected` (bad or unsupported language) or
        :class:`LanguageDetectionFailed` (the caller decides whether to fail open)."""
        settings = self.settings
        if requested is not None and requested != "auto":
            if not isinstance(requested, str) or not LANGUAGE_TAG_RE.match(requested):
                raise InputRejected(
                    "language must be a language code such as 'en' or 'es', or 'auto'",
                    code="invalid_language",
                    field="language",
                )
            code = requested.split("-", 1)[0].lower()
            if code in settings.supported_languages:
                return route(code, source="request")
            return self._unsupported(code, "request")
        if requested is None and settings.language != "auto":
            return route(settings.language, source="settings")

        default = settings.supported_languages[0]
        sample = text[: split_text(text, self._max_bytes)[0][1]]
        if len(sample.strip()) < self._min_chars:
            return route(default, source="default")
        languages = self._detect(sample, deadline)
        if not languages:
            return route(default, source="default")
        code = str(languages[0].get("LanguageCode", "")).split("-", 1)[0].lower()
        if code in settings.supported_languages:
            return route(code, source="comprehend")
        if not LANGUAGE_TAG_RE.match(code or "-"):
            return route(default, source="default")
        return self._unsupported(code, "comprehend")

    def fallback(self) -> LanguageRoute:
        """The route when detection failed and the settings fail open."""
        return route(self.settings.supported_languages[0], source="skipped")

    def _detect(self, sample: str, deadline: float) -> list[dict[str, Any]]:
        started = time.monotonic()
        try:
            future = self._submit(lambda: self._comprehend.detect_dominant_language(Text=sample))
            try:
                # One future: its own result(timeout) is the wait (no waiter object as concurrent.futures.wait builds).
                response, _finished = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                if future.done() and not future.cancelled() and future.exception() is not None:
                    raise  # the call's own timeout (a socket timeout is a TimeoutError too), not the deadline
                future.cancel()
                raise TimeoutError("language detection exceeded the deadline") from None
            return list(response.get("Languages") or [])
        except Exception as exc:  # noqa: BLE001 - fail closed on every error; the caller classifies it
            raise LanguageDetectionFailed(exc) from None
        finally:
            self._record_latency("language", (time.monotonic() - started) * 1000)

    def _unsupported(self, code: str, source: str) -> LanguageRoute:
        supported = self.settings.supported_languages
        if self.settings.strict_language:
            raise InputRejected(
                f"language '{code}' is not supported; supported languages are: {', '.join(supported)}",
                code="unsupported_language",
                field="language",
                details={"language": code, "supported_languages": list(supported)},
            )
        return route(code, source=source)
