"""The safety filter: PII masking, toxicity filtering and guardrail checks around a model call.

Usage (clients and the filter are created once per container; the filter owns a thread pool)::

    safety = SafetyFilter(SafetySettings.from_environment(os.environ), comprehend=comprehend_client,
                          bedrock_runtime=bedrock_runtime_client, metrics=metrics)

    screening = safety.screen_input(prompt)              # raises InputRejected / SafetyBlocked / SafetyUnavailable
    answer = call_model(screening.text)                   # the model only sees masked text
    output = safety.screen_output(answer, screening=screening)
    return {"text": output.text, "safety": {"input": screening.analysis, "output": output.analysis}}

The parts: ``language.py`` routes a text to a language, ``checks.py`` holds one strategy per check
(submit calls, collect answers), ``verdict.py`` decides and reports. This module runs them: the
checks concurrently, on the text's detection form (``normalize.py``: NFKC without format
characters), with every span mapped back to the caller's text before masking.

Nothing unchecked passes: a check that is throttled, times out or fails raises
:class:`SafetyUnavailable` unless ``fail_open`` is set, in which case the analysis records the
check as ``skipped``. Logs and metrics carry types, counts, lengths and timings, never text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any

from aws_errors import Failure, classify

from ._metrics import MetricsSink
from .checks import GuardrailCheck, PendingCall, PiiCheck, TooManyCalls, ToxicityCheck
from .errors import InputRejected, SafetyError, SafetyUnavailable
from .language import LanguageDetectionFailed, LanguageRoute, LanguageRouter, route
from .normalize import DetectionView
from .pii import Entity, PlaceholderVault, apply_masks, assign_actions, local_pii_prepass, mask_token_spans, subtract_spans
from .screening import InputScreening, OutputScreening, ServiceLimits
from .settings import COMPREHEND_TOXICITY_LANGUAGES, SafetySettings
from .text import sanitize_output, validate_text
from .verdict import ScreeningOutcome, Verdict, settle_failures, unavailable

logger = logging.getLogger(__name__)


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
                "GUARDRAIL_ARN and GUARDRAIL_VERSION must be set"
            )
        if settings.guardrail_configured and bedrock_runtime is None:
            raise ValueError("bedrock_runtime: a bedrock-runtime client is required when a guardrail is configured")
        if comprehend is None:
            raise ValueError("comprehend: a comprehend client is required")
        self.settings = settings
        self.limits = limits = limits or ServiceLimits()
        self._metrics = MetricsSink(metrics)
        self._owns_executor = executor is None
        self._executor: Executor = executor or ThreadPoolExecutor(max_workers=limits.max_workers, thread_name_prefix="safety")
        self._languages = LanguageRouter(
            settings,
            comprehend,
            self._submit,
            max_bytes=limits.language_max_bytes,
            min_chars=limits.language_min_chars,
            record_latency=self._metrics.latency,
        )
        self._pii = PiiCheck(comprehend, max_bytes=limits.pii_max_bytes, overlap_chars=limits.pii_overlap_chars)
        self._toxicity = ToxicityCheck(
            comprehend,
            settings,
            segment_bytes=limits.toxicity_segment_bytes,
            batch_size=limits.toxicity_batch_size,
            max_calls=limits.max_toxicity_calls,
        )
        self._guardrail = GuardrailCheck(bedrock_runtime, settings)

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
        view = DetectionView.of(text)
        lang = self._resolve_language(view.text, language, deadline)
        outcome = self._screen(view, lang, source="INPUT", want_guardrail=guardrail, deadline=deadline)

        protected = mask_token_spans(text)  # e.g. placeholders of earlier turns: not PII
        entities = None if outcome.entities is None else subtract_spans(text, outcome.entities, protected)
        verdict = self._decide(outcome, entities, phase="input")

        vault = PlaceholderVault() if self.settings.pii_mode == "pseudonymize" else None
        if vault is not None:
            vault.reserve_existing(text)
        masked = apply_masks(text, list(verdict.spans), mode=self.settings.pii_mode, vault=vault)
        self._metrics.pii_masked(verdict.masked_counts())
        analysis = verdict.analysis(lang, outcome, mode=self.settings.pii_mode)
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
        lang = route(screening.language, source="input")
        if not text.strip():
            analysis = {
                "language": lang.code,
                "checks": {"language": "input", "pii": "not_needed", "toxicity": "not_needed", "guardrail": "not_needed"},
                "pii": {"mode": "redact", "language": lang.pii_language, "entities": [], "masked_count": 0},
                "toxicity": {"source": None, "blocked": False},
            }
            return OutputScreening(text=text, analysis=analysis)

        outcome = self._screen(DetectionView.of(text), lang, source="OUTPUT", want_guardrail=guardrail, deadline=deadline)
        protected = [*mask_token_spans(text), *screening.placeholder_spans(text)]
        entities = None if outcome.entities is None else subtract_spans(text, outcome.entities, protected)
        verdict = self._decide(outcome, entities, phase="output")

        masked = apply_masks(text, list(verdict.spans), mode="redact", vault=None)
        self._metrics.pii_masked(verdict.masked_counts())
        analysis = verdict.analysis(lang, outcome, mode="redact")
        self._log("output", text, analysis, started)
        return OutputScreening(text=screening.restore(masked), analysis=analysis)

    def moderate(self, text: Any, *, language: str | None = None) -> dict[str, Any]:
        """Full analysis for ``POST /v1/moderate``: never raises :class:`SafetyBlocked` (the
        verdict is reported); still raises :class:`InputRejected` / :class:`SafetyUnavailable`."""
        started = time.monotonic()
        deadline = started + self.settings.timeout_seconds
        text = validate_text(text, max_chars=self.settings.max_input_chars)
        view = DetectionView.of(text)
        lang = self._resolve_language(view.text, language, deadline)
        configured = self.settings.guardrail_configured
        outcome = self._screen(view, lang, source="INPUT", want_guardrail=configured, deadline=deadline)
        settle_failures(outcome, fail_open=self.settings.fail_open)
        verdict = Verdict.of(outcome, outcome.entities)
        analysis = verdict.analysis(lang, outcome, mode="redact")
        if not configured:
            analysis["checks"]["guardrail"] = "not_configured"
        analysis["pii"]["types"] = sorted({e["type"] for e in analysis["pii"]["entities"]})
        analysis["pii"]["masked_text"] = apply_masks(text, list(verdict.spans), mode="redact", vault=None)
        analysis["verdict"] = "blocked" if verdict.blocked else "allowed"
        analysis["blocked_by"] = list(verdict.blocked_by)
        self._log("moderate", text, analysis, started)
        return analysis

    # ------------------------------------------------------------------ running the checks
    def _submit(self, fn: Callable[[], Any]) -> Future:
        def run() -> tuple[Any, float]:
            return fn(), time.monotonic()

        return self._executor.submit(run)

    def _resolve_language(self, text: str, requested: Any, deadline: float) -> LanguageRoute:
        try:
            return self._languages.resolve(text, requested, deadline)
        except LanguageDetectionFailed as failed:
            kind = self._record_failure("language", failed.cause)
            if not self.settings.fail_open:
                raise unavailable({"language": kind}) from None
            return self._languages.fallback()

    def _screen(
        self, view: DetectionView, lang: LanguageRoute, *, source: str, want_guardrail: bool, deadline: float
    ) -> ScreeningOutcome:
        """Run PII, toxicity and (when wanted or needed) guardrail calls concurrently on the
        detection form; entity offsets in the result are the caller's text's."""
        text = view.text
        outcome = ScreeningOutcome()
        use_guardrail = want_guardrail or lang.toxicity_route == "guardrail"
        try:
            toxicity_plan = self._toxicity.plan(text) if lang.toxicity_route == "comprehend" else None
        except TooManyCalls as refused:
            raise self._too_long(refused, source) from None
        outcome.checks["toxicity"] = "comprehend" if toxicity_plan is not None else "guardrail"
        outcome.checks["guardrail"] = "applied" if use_guardrail else "not_requested"
        started = time.monotonic()
        calls: list[PendingCall] = []
        try:
            calls += self._pii.submit(text, lang, self._submit)
            if toxicity_plan is not None:
                calls += self._toxicity.submit(toxicity_plan, self._submit)
            if use_guardrail:
                calls += self._guardrail.submit(text, source, self._submit)
        except RuntimeError as exc:  # executor shut down: nothing can be checked
            for call in calls:
                call.future.cancel()
            for check in ("pii", "toxicity", *(("guardrail",) if want_guardrail else ())):
                outcome.failures[check] = self._record_failure(check, exc, kind="error")
            return outcome

        local = local_pii_prepass(text)  # CPU work in this thread while the calls are in flight
        answers = self._gather(calls, outcome, started, deadline)
        self._collect(text, answers, outcome, local)
        if outcome.guardrail is not None and outcome.guardrail["blocked"]:
            self._metrics.guardrail_intervention(source)
        if lang.toxicity_route == "guardrail":
            if "guardrail" in outcome.failures:
                outcome.failures["toxicity"] = outcome.failures["guardrail"]
            elif outcome.guardrail is not None:
                outcome.toxicity = GuardrailCheck.as_toxicity(outcome.guardrail)
        if outcome.entities is not None and not view.identical:
            outcome.entities = [_to_caller_offsets(view, entity) for entity in outcome.entities]
        return outcome

    def _gather(self, calls: list[PendingCall], outcome: ScreeningOutcome, started: float, deadline: float) -> dict[str, list]:
        """Each check's (context, response) answers; failures go to ``outcome.failures``."""
        _done, not_done = wait([call.future for call in calls], timeout=max(0.0, deadline - time.monotonic()))
        for future in not_done:
            future.cancel()
        answers: dict[str, list] = {}
        finished: dict[str, float] = {}
        for call in calls:
            if call.check in outcome.failures:
                continue
            if call.future in not_done:
                outcome.failures[call.check] = self._record_failure(call.check, TimeoutError("deadline exceeded"))
                continue
            try:
                response, finished_at = call.future.result()
            except Exception as exc:  # noqa: BLE001 - fail closed on every error; classified
                outcome.failures[call.check] = self._record_failure(call.check, exc)
                continue
            answers.setdefault(call.check, []).append((call.context, response))
            finished[call.check] = max(finished.get(call.check, 0.0), finished_at)
        for check, finished_at in finished.items():
            if check not in outcome.failures:
                self._metrics.latency(check, (finished_at - started) * 1000)
        return answers

    def _collect(self, text: str, answers: dict[str, list], outcome: ScreeningOutcome, local: list) -> None:
        collectors: dict[str, Callable[[list], Any]] = {
            "pii": lambda found: assign_actions([*self._pii.collect(text, found), *local], self.settings),
            "toxicity": self._toxicity.collect,
            "guardrail": self._guardrail.collect,
        }
        for check, collect in collectors.items():
            if check in outcome.failures or check not in answers:
                continue
            try:
                result = collect(answers[check])
            except Exception as exc:  # noqa: BLE001 - a malformed answer fails the check closed
                outcome.failures[check] = self._record_failure(check, exc)
                continue
            if check == "pii":
                outcome.entities = result
                outcome.checks["pii"] = "comprehend"
            else:
                setattr(outcome, check, result)

    def _decide(self, outcome: ScreeningOutcome, entities: list | None, *, phase: str) -> Verdict:
        verdict = Verdict.of(outcome, entities)
        if verdict.blocked:
            blocked = verdict.error(outcome, phase=phase)
            for name in verdict.blocked_by:
                self._metrics.blocked(name)
            details = {k: v for k, v in blocked.details.items() if k != "phase"}
            logger.info("safety blocked", extra={"safety": {"phase": phase, "check": blocked.check, **details}})
            raise blocked
        settle_failures(outcome, fail_open=self.settings.fail_open)
        return verdict

    def _too_long(self, refused: TooManyCalls, source: str) -> SafetyError:
        if source == "OUTPUT":  # the caller did nothing wrong: the output cannot be screened
            return SafetyUnavailable(
                "The model response is too long to screen; it was not passed on unchecked.",
                check=refused.check,
                details={"calls_needed": refused.needed, "calls_allowed": refused.allowed},
            )
        return InputRejected(
            f"text needs {refused.needed} toxicity-screening calls; at most {refused.allowed} are allowed per request: "
            "send less text",
            code="text_too_long",
            status=413,
            field="text",
        )

    # ------------------------------------------------------------------ reporting
    def _record_failure(self, check: str, exc: BaseException, *, kind: str | None = None) -> str:
        classified = classify(exc)
        if kind is None:
            if classified.kind is Failure.THROTTLED:
                kind = "throttled"
            elif classified.kind is Failure.TIMEOUT or classified.timed_out:
                kind = "timeout"
            else:
                kind = "error"
        self._metrics.filter_error(check, kind)
        logger.warning(
            "safety check failed",
            extra={
                "safety": {
                    "check": check,
                    "kind": kind,
                    "error_type": type(exc).__name__,
                    # The error code only: a dependency's message may echo the request text.
                    "error_code": classified.code,
                    "fail_open": self.settings.fail_open,
                }
            },
        )
        return kind

    def _log(self, phase: str, text: str, analysis: dict[str, Any], started: float) -> None:
        if not logger.isEnabledFor(logging.INFO):  # build nothing for a line nobody writes
            return
        counts: dict[str, int] = {}
        for entity in analysis["pii"]["entities"]:
            counts[entity["type"]] = counts.get(entity["type"], 0) + 1
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


def _to_caller_offsets(view: DetectionView, entity: Entity) -> Entity:
    begin, end = view.original_span(entity.begin, entity.end)
    return replace(entity, begin=begin, end=end)


__all__ = [
    "InputScreening",
    "OutputScreening",
    "SafetyError",
    "SafetyFilter",
    "ServiceLimits",
]
