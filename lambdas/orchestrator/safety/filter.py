"""The safety filter: PII masking, toxicity filtering and guardrail checks around a model call.

Usage (clients and the filter are created once per container; the filter owns a thread pool)::

    settings = SafetySettings.from_env()
    safety = SafetyFilter(settings, comprehend=boto3.client("comprehend"),
                          bedrock_runtime=boto3.client("bedrock-runtime"), metrics=metrics)

    screening = safety.screen_input(prompt)              # raises InputRejected / SafetyBlocked / SafetyUnavailable
    answer = call_model(screening.text)                   # the model only sees masked text
    output = safety.screen_output(answer, screening=screening)
    return {"text": output.text, "safety": {"input": screening.analysis, "output": output.analysis}}

Nothing unchecked passes: a check that is throttled, times out or fails raises
:class:`SafetyUnavailable` unless ``fail_open`` is set, in which case the analysis records the
check as ``skipped``. Logs and metrics carry types, counts, lengths and timings, never text.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from ._metrics import MetricsSink
from .errors import InputRejected, SafetyBlocked, SafetyError, SafetyUnavailable
from .guardrail import GuardrailCoverageError, apply_guardrail
from .pii import (
    Entity,
    PlaceholderVault,
    apply_masks,
    assign_actions,
    expand_to_tokens,
    local_pii_prepass,
    map_chunk_entities,
    mask_spans,
    mask_token_spans,
    merge_same_type,
    subtract_spans,
)
from .settings import COMPREHEND_PII_LANGUAGES, COMPREHEND_TOXICITY_LANGUAGES, SafetySettings
from .text import sanitize_output, split_text, validate_text
from .toxicity import batches, evaluate_comprehend

logger = logging.getLogger(__name__)

_THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ServiceQuotaExceededException",
        "ProvisionedThroughputExceededException",
    }
)
_LANGUAGE_TAG_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
# Priority when several checks block the same text (all are reported in details).
_BLOCK_ORDER = ("toxicity", "guardrail", "pii")


@dataclass(frozen=True)
class ServiceLimits:
    """Request limits of the APIs (README.md beside this file gives the sources). Tests shrink them."""

    pii_max_bytes: int = 100_000  # DetectPiiEntities: Text up to 100 KB of UTF-8
    pii_overlap_chars: int = 200  # overlap between PII chunks so a cut entity is whole in one
    language_max_bytes: int = 100_000  # DetectDominantLanguage: Text up to 100 KB of UTF-8
    language_min_chars: int = 20  # DetectDominantLanguage: "at least 20 characters"
    toxicity_segment_bytes: int = 1_000  # DetectToxicContent: each segment at most 1 KB
    toxicity_batch_size: int = 10  # DetectToxicContent: up to 10 segments per call
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


@dataclass
class _Language:
    code: str  # the language used for routing (may be unsupported when not strict)
    source: str  # request | settings | comprehend | default | skipped
    pii_language: str  # the language sent to DetectPiiEntities
    toxicity_route: str  # comprehend | guardrail


@dataclass
class _Outcome:
    """Results of one screening pass; None for a check that did not run or failed."""

    entities: list[Entity] | None = None
    toxicity: dict[str, Any] | None = None
    guardrail: dict[str, Any] | None = None
    failures: dict[str, str] = field(default_factory=dict)  # check -> throttled|timeout|error
    checks: dict[str, str] = field(default_factory=dict)


class SafetyFilter:
    """PII and toxicity screening of model input and output. Thread-safe; create once."""

    def __init__(
        self,
        settings: SafetySettings,
        *,
        comprehend: Any,
        bedrock_runtime: Any,
        metrics: Any | None = None,
        executor: Executor | None = None,
        limits: ServiceLimits | None = None,
    ) -> None:
        needs_guardrail = (not settings.strict_language) or any(
            code not in COMPREHEND_TOXICITY_LANGUAGES for code in settings.supported_languages
        )
        if needs_guardrail and not settings.guardrail_configured:
            raise ValueError(
                "SAFETY_CONFIG.supported_languages: toxicity of languages other than "
                f"{list(COMPREHEND_TOXICITY_LANGUAGES)} is checked by the Bedrock guardrail, so "
                "GUARDRAIL_ID and GUARDRAIL_VERSION must be set"
            )
        if settings.guardrail_configured and bedrock_runtime is None:
            raise ValueError("bedrock_runtime: a bedrock-runtime client is required when a guardrail is configured")
        if comprehend is None:
            raise ValueError("comprehend: a comprehend client is required")
        self.settings = settings
        self.limits = limits or ServiceLimits()
        self._comprehend = comprehend
        self._bedrock = bedrock_runtime
        self._metrics = MetricsSink(metrics)
        self._owns_executor = executor is None
        self._executor: Executor = executor or ThreadPoolExecutor(
            max_workers=self.limits.max_workers, thread_name_prefix="safety"
        )

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        if self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> SafetyFilter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ public API
    def screen_input(
        self, text: Any, *, language: str | None = None, guardrail: bool = False, added_chars: int = 0
    ) -> InputScreening:
        """Validate and screen a prompt. Returns the masked text the model may see.

        ``added_chars``: characters the caller itself put into ``text`` around the user's text
        (part separators, reserved placeholders); they do not count against ``max_input_chars``,
        which limits what the user sent.

        Raises :class:`InputRejected` (400/413), :class:`SafetyBlocked` (422) or
        :class:`SafetyUnavailable` (503/429). ``guardrail=True`` also applies the Bedrock
        guardrail (source INPUT), for backends whose call does not apply it themselves.
        """
        started = time.monotonic()
        deadline = started + self.settings.timeout_seconds
        text = validate_text(text, max_chars=self.settings.max_input_chars + max(0, added_chars))
        lang = self._resolve_language(text, language, deadline)
        outcome = self._screen(text, lang, source="INPUT", want_guardrail=guardrail, deadline=deadline)

        protected = mask_token_spans(text)  # e.g. placeholders of earlier turns: not PII
        entities = None if outcome.entities is None else subtract_spans(text, outcome.entities, protected)
        report, spans = self._pii_report(entities)
        self._raise_if_blocked(outcome, report, phase="input")
        self._raise_if_failed(outcome)

        vault = PlaceholderVault() if self.settings.pii_mode == "pseudonymize" else None
        if vault is not None:
            vault.reserve_existing(text)
        masked = apply_masks(text, spans, mode=self.settings.pii_mode, vault=vault)
        self._metrics.pii_masked(_count_types(spans))

        analysis = self._analysis(lang, outcome, report, spans, mode=self.settings.pii_mode)
        self._log("input", text, analysis, started)
        return InputScreening(text=masked, language=lang.code, analysis=analysis, _vault=vault)

    def screen_output(self, text: Any, *, screening: InputScreening, guardrail: bool = False) -> OutputScreening:
        """Screen a model's output before it reaches the caller.

        New PII the model produced is masked as ``[TYPE]`` (blocked for blocking types), toxic
        output is blocked, and pseudonymized placeholders are then restored for the caller.
        ``guardrail=True`` also applies the Bedrock guardrail with source OUTPUT.
        """
        started = time.monotonic()
        deadline = started + self.settings.timeout_seconds
        text = sanitize_output(text)
        lang = self._route(screening.language, source="input")
        if not text.strip():
            analysis = {
                "language": lang.code,
                "checks": {"language": "input", "pii": "not_needed", "toxicity": "not_needed", "guardrail": "not_needed"},
                "pii": {"mode": "redact", "language": lang.pii_language, "entities": [], "masked_count": 0},
                "toxicity": {"source": None, "blocked": False},
            }
            return OutputScreening(text=text, analysis=analysis)

        outcome = self._screen(text, lang, source="OUTPUT", want_guardrail=guardrail, deadline=deadline)
        protected = self._protected_spans(text, screening)
        entities = None if outcome.entities is None else subtract_spans(text, outcome.entities, protected)
        report, spans = self._pii_report(entities)
        self._raise_if_blocked(outcome, report, phase="output")
        self._raise_if_failed(outcome)

        masked = apply_masks(text, spans, mode="redact", vault=None)
        self._metrics.pii_masked(_count_types(spans))
        restored = screening.restore(masked)
        analysis = self._analysis(lang, outcome, report, spans, mode="redact")
        self._log("output", text, analysis, started)
        return OutputScreening(text=restored, analysis=analysis)

    def moderate(self, text: Any, *, language: str | None = None) -> dict[str, Any]:
        """Full analysis for ``POST /v1/moderate``: never raises :class:`SafetyBlocked` (the
        verdict is reported); still raises :class:`InputRejected` / :class:`SafetyUnavailable`."""
        started = time.monotonic()
        deadline = started + self.settings.timeout_seconds
        text = validate_text(text, max_chars=self.settings.max_input_chars)
        lang = self._resolve_language(text, language, deadline)
        outcome = self._screen(text, lang, source="INPUT", want_guardrail=self.settings.guardrail_configured, deadline=deadline)
        self._raise_if_failed(outcome)
        report, spans = self._pii_report(outcome.entities)
        masked = apply_masks(text, spans, mode="redact", vault=None)
        analysis = self._analysis(lang, outcome, report, spans, mode="redact")
        if not self.settings.guardrail_configured:
            analysis["checks"]["guardrail"] = "not_configured"
        blocked_by = self._blocked_checks(outcome, report)
        analysis["pii"]["types"] = sorted({e["type"] for e in analysis["pii"]["entities"]})
        analysis["pii"]["masked_text"] = masked
        analysis["verdict"] = "blocked" if blocked_by else "allowed"
        analysis["blocked_by"] = blocked_by
        self._log("moderate", text, analysis, started)
        return analysis

    # ------------------------------------------------------------------ language
    def _route(self, code: str, *, source: str) -> _Language:
        pii_language = code if code in COMPREHEND_PII_LANGUAGES else "en"
        route = "comprehend" if code in COMPREHEND_TOXICITY_LANGUAGES else "guardrail"
        return _Language(code=code, source=source, pii_language=pii_language, toxicity_route=route)

    def _unsupported(self, code: str, source: str) -> _Language:
        allowed = ", ".join(self.settings.supported_languages)
        if self.settings.strict_language:
            raise InputRejected(
                f"language '{code}' is not supported; supported languages are: {allowed}",
                code="unsupported_language",
                field="language",
                details={"language": code, "supported_languages": list(self.settings.supported_languages)},
            )
        return self._route(code, source=source)

    def _resolve_language(self, text: str, requested: Any, deadline: float) -> _Language:
        if requested is not None and requested != "auto":
            if not isinstance(requested, str) or not _LANGUAGE_TAG_RE.match(requested):
                raise InputRejected(
                    "language must be a language code such as 'en' or 'es', or 'auto'",
                    code="invalid_language",
                    field="language",
                )
            code = requested.split("-", 1)[0].lower()
            if code in self.settings.supported_languages:
                return self._route(code, source="request")
            return self._unsupported(code, "request")
        if requested is None and self.settings.language != "auto":
            return self._route(self.settings.language, source="settings")

        default = self.settings.supported_languages[0]
        sample_end = split_text(text, self.limits.language_max_bytes)[0][1]
        sample = text[:sample_end]
        if len(sample.strip()) < self.limits.language_min_chars:
            return self._route(default, source="default")
        started = time.monotonic()
        try:
            future = self._submit(lambda: self._comprehend.detect_dominant_language(Text=sample))  # RuntimeError if closed
            done, _ = wait([future], timeout=max(0.0, deadline - time.monotonic()))
            if not done:
                future.cancel()
                raise TimeoutError("language detection exceeded the deadline")
            response, _finished = future.result()
            languages = response.get("Languages") or []
        except Exception as exc:  # noqa: BLE001 - fail closed on every error; classified below
            kind = _classify(exc)
            self._record_failure("language", kind, exc)
            if not self.settings.fail_open:
                raise _unavailable({"language": kind}) from None
            return self._route(default, source="skipped")
        finally:
            self._metrics.latency("language", (time.monotonic() - started) * 1000)
        if not languages:
            return self._route(default, source="default")
        code = str(languages[0].get("LanguageCode", "")).split("-", 1)[0].lower()
        if code in self.settings.supported_languages:
            return self._route(code, source="comprehend")
        if not _LANGUAGE_TAG_RE.match(code or "-"):
            return self._route(default, source="default")
        return self._unsupported(code, "comprehend")

    # ------------------------------------------------------------------ the checks
    def _submit(self, fn: Callable[[], Any]) -> Future:
        def run() -> tuple[Any, float]:
            return fn(), time.monotonic()

        return self._executor.submit(run)

    def _screen(self, text: str, lang: _Language, *, source: str, want_guardrail: bool, deadline: float) -> _Outcome:
        """Run PII, toxicity and (when wanted or needed) guardrail calls concurrently."""
        outcome = _Outcome()
        limits = self.limits
        calls: list[tuple[str, Any, Future]] = []  # (check, context, future)
        started = time.monotonic()
        try:
            for begin, end in split_text(text, limits.pii_max_bytes, overlap_chars=limits.pii_overlap_chars):
                chunk = text[begin:end]
                calls.append(
                    (
                        "pii",
                        (begin, end),
                        self._submit(
                            lambda chunk=chunk: self._comprehend.detect_pii_entities(Text=chunk, LanguageCode=lang.pii_language)
                        ),
                    )
                )
            use_guardrail = want_guardrail or lang.toxicity_route == "guardrail"
            if lang.toxicity_route == "comprehend":
                segments = [text[b:e] for b, e in split_text(text, limits.toxicity_segment_bytes) if text[b:e].strip()]
                for batch in batches(segments, limits.toxicity_batch_size):
                    payload = [{"Text": segment} for segment in batch]
                    calls.append(
                        (
                            "toxicity",
                            len(batch),
                            self._submit(
                                lambda payload=payload: self._comprehend.detect_toxic_content(
                                    TextSegments=payload, LanguageCode="en"
                                )
                            ),
                        )
                    )
                outcome.checks["toxicity"] = "comprehend"
            else:
                outcome.checks["toxicity"] = "guardrail"
            if use_guardrail:
                calls.append(
                    (
                        "guardrail",
                        None,
                        self._submit(
                            lambda: apply_guardrail(
                                self._bedrock,
                                guardrail_id=self.settings.guardrail_id,
                                guardrail_version=self.settings.guardrail_version,
                                source=source,
                                text=text,
                            )
                        ),
                    )
                )
            outcome.checks["guardrail"] = "applied" if use_guardrail else "not_requested"
        except RuntimeError as exc:  # executor shut down: nothing can be checked
            for _check, _ctx, future in calls:
                future.cancel()
            for check in ("pii", "toxicity", *(("guardrail",) if want_guardrail else ())):
                outcome.failures[check] = "error"
                self._record_failure(check, "error", exc)
            return outcome

        # CPU work in this thread while the calls are in flight.
        local = local_pii_prepass(text)

        _done, not_done = wait([future for _c, _x, future in calls], timeout=max(0.0, deadline - time.monotonic()))
        for future in not_done:
            future.cancel()

        pii_raw: list[Entity] = []
        tox_results: list[dict] = []
        tox_segments = 0
        guardrail_summary: dict[str, Any] | None = None
        finished: dict[str, float] = {}
        for check, context, future in calls:
            if check in outcome.failures:
                continue
            if future in not_done:
                self._record_failure(check, "timeout", TimeoutError("deadline exceeded"))
                outcome.failures[check] = "timeout"
                continue
            try:
                response, finished_at = future.result()
                finished[check] = max(finished.get(check, 0.0), finished_at)
                if check == "pii":
                    begin, end = context
                    pii_raw.extend(map_chunk_entities(response.get("Entities") or [], begin, end))
                elif check == "toxicity":
                    results = response.get("ResultList") or []
                    if len(results) != context:
                        raise ValueError(f"DetectToxicContent returned {len(results)} results for {context} segments")
                    tox_results.extend(results)
                    tox_segments += context
                else:
                    guardrail_summary = response
            except Exception as exc:  # noqa: BLE001 - fail closed on every error; classified below
                kind = _classify(exc)
                self._record_failure(check, kind, exc)
                outcome.failures[check] = kind
        for check, finished_at in finished.items():
            if check not in outcome.failures:
                self._metrics.latency(check, (finished_at - started) * 1000)

        if "pii" not in outcome.failures:
            expanded = [expand_to_tokens(text, entity) for entity in pii_raw]
            outcome.entities = assign_actions([*expanded, *local], self.settings)
            outcome.checks["pii"] = "comprehend"
        if "guardrail" not in outcome.failures and guardrail_summary is not None:
            outcome.guardrail = guardrail_summary
            if guardrail_summary["blocked"]:
                self._metrics.guardrail_intervention(source)
        if lang.toxicity_route == "comprehend":
            if "toxicity" not in outcome.failures:
                outcome.toxicity = evaluate_comprehend(tox_results, self.settings, tox_segments)
        else:
            if "guardrail" in outcome.failures:
                outcome.failures["toxicity"] = outcome.failures["guardrail"]
            elif outcome.guardrail is not None:
                outcome.toxicity = {
                    "source": "guardrail",
                    "blocked": outcome.guardrail["blocked"],
                    "reasons": [f for f in outcome.guardrail["filters"] if f.startswith("contentPolicy:")],
                    "filters": outcome.guardrail["filters"],
                }
        return outcome

    # ------------------------------------------------------------------ verdicts
    def _pii_report(self, entities: list[Entity] | None) -> tuple[list[Entity], list[Entity]]:
        if entities is None:
            return [], []
        report = merge_same_type(entities)
        return report, mask_spans(report)

    def _blocked_checks(self, outcome: _Outcome, report: list[Entity]) -> list[str]:
        blocked = []
        if outcome.toxicity is not None and outcome.toxicity.get("blocked") and outcome.toxicity["source"] == "comprehend":
            blocked.append("toxicity")
        if outcome.guardrail is not None and outcome.guardrail.get("blocked"):
            blocked.append("guardrail")
        if any(entity.action == "block" for entity in report):
            blocked.append("pii")
        return blocked

    def _raise_if_blocked(self, outcome: _Outcome, report: list[Entity], *, phase: str) -> None:
        blocked = self._blocked_checks(outcome, report)
        if not blocked:
            return
        check = next(name for name in _BLOCK_ORDER if name in blocked)
        details: dict[str, Any] = {"phase": phase, "blocked_checks": blocked}
        if "pii" in blocked:
            details["entity_types"] = sorted({e.type for e in report if e.action == "block"})
        if "toxicity" in blocked:
            details["labels"] = list(outcome.toxicity.get("reasons", []))
        if "guardrail" in blocked:
            details["policies"] = list(outcome.guardrail.get("policies", []))
            details["filters"] = list(outcome.guardrail.get("filters", []))
        messages = {
            "pii": "contains sensitive data that is not allowed",
            "toxicity": "was blocked by the toxicity filter",
            "guardrail": "was blocked by the guardrail",
        }
        subject = "The request" if phase == "input" else "The model response"
        for name in blocked:
            self._metrics.blocked(name)
        logger.info(
            "safety blocked",
            extra={"safety": {"phase": phase, "check": check, **{k: v for k, v in details.items() if k != "phase"}}},
        )
        raise SafetyBlocked(f"{subject} {messages[check]}.", check=check, details=details)

    def _raise_if_failed(self, outcome: _Outcome) -> None:
        if not outcome.failures:
            return
        if not self.settings.fail_open:
            raise _unavailable(outcome.failures)
        for check in outcome.failures:
            outcome.checks[check] = "skipped"

    # ------------------------------------------------------------------ reporting
    def _protected_spans(self, text: str, screening: InputScreening) -> list[tuple[int, int]]:
        spans = mask_token_spans(text)
        if screening._vault is not None:
            spans.extend(screening._vault.placeholder_spans(text))
        return spans

    def _analysis(
        self, lang: _Language, outcome: _Outcome, report: list[Entity], spans: list[Entity], *, mode: str
    ) -> dict[str, Any]:
        checks = {
            "language": lang.source,
            "pii": outcome.checks.get("pii", "skipped"),
            "toxicity": outcome.checks.get("toxicity", "skipped"),
            "guardrail": outcome.checks.get("guardrail", "not_requested"),
        }
        if "toxicity" in outcome.failures:
            checks["toxicity"] = "skipped"
        if "guardrail" in outcome.failures and checks["guardrail"] == "applied":
            checks["guardrail"] = "skipped"
        analysis: dict[str, Any] = {
            "language": lang.code,
            "checks": checks,
            "pii": {
                "mode": mode,
                "language": lang.pii_language,
                "entities": [entity.to_dict() for entity in report],
                "masked_count": len(spans),
            },
            "toxicity": outcome.toxicity if outcome.toxicity is not None else {"source": None, "blocked": False, "skipped": True},
        }
        if outcome.guardrail is not None:
            analysis["guardrail"] = outcome.guardrail
        if outcome.failures:
            analysis["skipped"] = [{"check": check, "reason": kind} for check, kind in sorted(outcome.failures.items())]
        return analysis

    def _record_failure(self, check: str, kind: str, exc: BaseException) -> None:
        self._metrics.filter_error(check, kind)
        logger.warning(
            "safety check failed",
            extra={
                "safety": {
                    "check": check,
                    "kind": kind,
                    "error_type": type(exc).__name__,
                    # The error code only: a dependency's message may echo the request text.
                    "error_code": _error_code(exc),
                    "fail_open": self.settings.fail_open,
                }
            },
        )

    def _log(self, phase: str, text: str, analysis: dict[str, Any], started: float) -> None:
        counts = _count_types_dicts(analysis["pii"]["entities"])
        logger.info(
            "safety screened",
            extra={
                "safety": {
                    "phase": phase,
                    "chars": len(text),
                    "language": analysis["language"],
                    "checks": analysis["checks"],
                    "pii_types": counts,
                    "masked_count": analysis["pii"]["masked_count"],
                    "toxicity_blocked": bool(analysis["toxicity"].get("blocked")),
                    "duration_ms": round((time.monotonic() - started) * 1000, 3),
                }
            },
        )


# ---------------------------------------------------------------------- helpers
def _error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "") or None
    return None


def _classify(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        code = _error_code(exc) or ""
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _THROTTLING_CODES or status == 429:
            return "throttled"
        return "error"
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError, GuardrailCoverageError)):
        return "error"
    return "error"


def _unavailable(failures: dict[str, str]) -> SafetyUnavailable:
    check = sorted(failures)[0]
    kinds = set(failures.values())
    if kinds == {"throttled"}:
        status, code, what = 429, "safety_throttled", "is throttled"
    elif kinds == {"timeout"}:
        status, code, what = 503, "safety_timeout", "timed out"
    else:
        status, code, what = 503, "safety_unavailable", "is unavailable"
    return SafetyUnavailable(
        f"The {check} safety check {what}; the text was not passed on unchecked. Retry later.",
        status=status,
        code=code,
        check=check,
        details={"failed_checks": dict(sorted(failures.items()))},
    )


def _count_types(spans: list[Entity]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for span in spans:
        if span.action == "mask":
            counts[span.type] = counts.get(span.type, 0) + 1
    return counts


def _count_types_dicts(entities: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entity in entities:
        counts[entity["type"]] = counts.get(entity["type"], 0) + 1
    return counts


__all__ = [
    "InputScreening",
    "OutputScreening",
    "SafetyError",
    "SafetyFilter",
    "ServiceLimits",
]
