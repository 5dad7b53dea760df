"""The API's logic: validate -> screen -> (retrieve) -> build the prompt -> call the model(s) ->
screen the output -> (check grounding) -> record metrics. Adapters (backends, safety, chat store,
grounding) do the I/O; a grounded request's steps are in ``grounding.py``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .backends import ModelBackends, ModelRequest, ModelResult
from .catalog import UseCase
from .chat_store import ChatStore, estimate_tokens, trim_history
from .deadline import RESPONSE_MARGIN_SECONDS, Deadline
from .errors import ApiError, no_model_answered
from .grounding import GROUNDING_CHECK_SECONDS, NO_DOCUMENTS_ANSWER, GroundedContext, Grounding
from .observability import logger, record_model_call
from .parameters import Parameters, resolve
from .prompts import Prompt, build_prompt, chat_system_prompt, grounded_chat_turn
from .retrieval import RetrievalPlan, plan_retrieval
from .safety_gate import CallerText, KeepPlaceholders, SafetyGate, ScreenedRequest, history_placeholders
from .settings import ModelSpec, Settings
from .validation import GenerateInput, parse_chat, parse_generate, parse_moderate


@dataclass(frozen=True, slots=True)
class _Screened:
    """A screened answer (the safety package's OutputScreening shape) after its placeholders are restored."""

    text: str
    analysis: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """A screened (and, when grounded, retrieved) chat message, ready for the model
    (``Service.chat_turn``; the buffered and the streamed chat share it)."""

    model: ModelSpec
    use_case: str
    conversation_id: str
    next_turn: int
    message: str  # masked: what history keeps
    message_chars: int  # the caller's message length
    history_turns_sent: int
    screening: Any
    request: ModelRequest
    grounded: GroundedContext | None = None


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str
    caller: str
    deadline: Deadline


def estimated_cost(model: ModelSpec, result: ModelResult) -> float:
    return round(result.input_tokens / 1000.0 * model.price_in + result.output_tokens / 1000.0 * model.price_out, 8)


class Service:
    """The API's logic over adapters built once in ``handler.py`` (the composition root)."""

    def __init__(
        self,
        settings: Settings,
        catalog: Mapping[str, UseCase],
        *,
        backends: ModelBackends,
        safety: SafetyGate,
        store: ChatStore,
        grounding: Grounding,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.backends = backends
        self.safety = safety
        self.store = store
        self.grounding = grounding
        #: The safety package's timeout: the model's answer is screened after the model call, so
        #: the model's budget leaves this much (plus the response margin) of the Lambda's time.
        self.output_screening_seconds = settings.safety.timeout_seconds

    def deadline(self, context: Any) -> Deadline:
        return Deadline.for_request(
            self.settings.request_deadline_seconds, context, margin=RESPONSE_MARGIN_SECONDS + self.output_screening_seconds
        )

    # ------------------------------------------------------------------ read-only routes
    def use_cases(self) -> dict[str, Any]:
        grounded_by = {uc: kb.name for kb in self.settings.knowledge_bases.values() for uc in kb.grounded_use_cases}
        return {
            "use_cases": [
                {
                    **uc.describe(self.settings.default_models[uc.family]),
                    "grounded": uc.id in grounded_by,
                    "knowledge_base": grounded_by.get(uc.id),
                }
                for uc in self.catalog.values()
            ]
        }

    def knowledge_bases(self) -> dict[str, Any]:
        return {"knowledge_bases": [kb.describe() for kb in self.settings.knowledge_bases.values()]}

    def models(self) -> dict[str, Any]:
        return {
            "models": [spec.describe() for spec in self.settings.models.values()],
            "defaults": dict(self.settings.default_models),
        }

    # ------------------------------------------------------------------ generate / compare
    def generate(self, data: Mapping[str, Any], ctx: RequestContext) -> dict[str, Any]:
        req = parse_generate(data, self.settings, self.catalog)
        plan = plan_retrieval(data, req.use_case.id, self.settings)
        model = req.models[0]
        params = resolve(req.use_case.default_parameters, req.parameters, model)
        sagemaker = model.backend == "sagemaker"
        prompt, screening, grounded = self.prepare_prompt(req, plan, ctx, guardrail=sagemaker)
        if grounded is not None and not grounded.documents:
            return {
                "output": NO_DOCUMENTS_ANSWER,
                "model": model.id,
                "use_case": req.use_case.id,
                "usage": {"input_tokens": 0, "output_tokens": 0},
                "stop_reason": None,
                "latency_ms": 0.0,
                "estimated_cost_usd": 0.0,
                "parameters": params.describe(),
                "safety": {"input": screening.analysis},
                **grounded.no_documents(),
                "request_id": ctx.request_id,
            }
        result = self.backends.invoke(model, model_request(prompt, req, params), self.model_deadline(ctx, grounded))
        output, grounded_fields = self._screen_answer(result.text, screening, grounded, ctx.deadline, guardrail=sagemaker)
        self.record_call(model, req.use_case.id, result, input_chars=len(req.input), output_chars=len(output.text))
        return {
            "output": output.text,
            "model": model.id,
            "use_case": req.use_case.id,
            "usage": result.usage(),
            "stop_reason": result.stop_reason,
            "latency_ms": result.latency_ms,
            "estimated_cost_usd": estimated_cost(model, result),
            "parameters": params.describe(),
            "safety": {"input": screening.analysis, "output": output.analysis},
            **grounded_fields,
            "request_id": ctx.request_id,
        }

    def compare(self, data: Mapping[str, Any], ctx: RequestContext) -> dict[str, Any]:
        """The same prompt on 2..4 models concurrently ("experiment and select")."""
        req = parse_generate(data, self.settings, self.catalog, compare=True)
        plan = plan_retrieval(data, req.use_case.id, self.settings)
        params = {m.id: resolve(req.use_case.default_parameters, req.parameters, m) for m in req.models}
        any_sagemaker = any(m.backend == "sagemaker" for m in req.models)
        # Retrieved once: every model gets the same documents.
        prompt, screening, grounded = self.prepare_prompt(req, plan, ctx, guardrail=any_sagemaker)
        if grounded is not None and not grounded.documents:
            results = [
                {"model": m.id, "backend": m.backend, "output": NO_DOCUMENTS_ANSWER, "citations": []}
                for m in req.models
            ]
            return {
                "use_case": req.use_case.id,
                "results": results,
                "succeeded": len(results),
                "safety": {"input": screening.analysis},
                "grounding": grounded.no_documents()["grounding"],
                "request_id": ctx.request_id,
            }
        outcomes = self.backends.invoke_many(
            req.models, lambda m: model_request(prompt, req, params[m.id]), self.model_deadline(ctx, grounded)
        )

        def slot_for(model: ModelSpec, outcome: ModelResult | ApiError) -> dict[str, Any]:
            slot: dict[str, Any] = {"model": model.id, "backend": model.backend}
            if isinstance(outcome, ModelResult):
                try:
                    output, grounded_fields = self._screen_answer(
                        outcome.text, screening, grounded, ctx.deadline, guardrail=model.backend == "sagemaker"
                    )
                except ApiError as exc:
                    outcome = exc
                else:
                    self.record_call(model, req.use_case.id, outcome, input_chars=len(req.input), output_chars=len(output.text))
                    slot.update(
                        output=output.text,
                        latency_ms=outcome.latency_ms,
                        usage=outcome.usage(),
                        tokens=outcome.input_tokens + outcome.output_tokens,
                        stop_reason=outcome.stop_reason,
                        estimated_cost_usd=estimated_cost(model, outcome),
                        parameters=params[model.id].describe(),
                        safety={"output": output.analysis},
                    )
                    if grounded_fields:
                        slot.update(citations=grounded_fields["citations"], grounding=grounded_fields["grounding"])
            if isinstance(outcome, ApiError):
                logger.warning("compare slot failed", extra={"model": model.id, "status": outcome.status, "code": outcome.code})
                slot.update(status=outcome.status, error=outcome.body())
                if outcome.retry_after is not None:
                    slot["retry_after"] = outcome.retry_after
            return slot

        # The outputs are screened at once (the time kept back after the model covers one screening).
        results = self.backends.map_concurrently(slot_for, req.models, outcomes)
        if not any("output" in slot for slot in results):
            raise no_model_answered(results)
        return {
            "use_case": req.use_case.id,
            "results": results,
            "succeeded": sum(1 for slot in results if "output" in slot),
            "safety": {"input": screening.analysis},
            **({"grounding": grounded.summary()} if grounded is not None else {}),
            "request_id": ctx.request_id,
        }

    def prepare_prompt(
        self, req: GenerateInput, plan: RetrievalPlan | None, ctx: RequestContext, *, guardrail: bool
    ) -> tuple[Prompt, Any, GroundedContext | None]:
        """Screen every piece of caller text in one call, retrieve (grounded requests), then build the
        prompt from masked text."""
        caller = CallerText(
            input=req.input, context=req.context or "", examples=tuple(req.examples), instructions=req.instructions
        )
        screened: ScreenedRequest = self.safety.screen_request(
            caller, primary_field="input", guardrail=guardrail, language=req.language
        )
        masked = screened.text
        grounded = None
        if plan is not None:
            reserved = history_placeholders(list(masked.named_parts().values()))
            grounded = self.grounding.prepare(
                plan, query=masked.input, reserved=reserved, deadline=ctx.deadline, guardrail=guardrail
            )
        prompt = build_prompt(
            req.use_case,
            input_text=masked.input,
            context=masked.context or None,
            instructions=masked.instructions,
            examples=masked.examples,
            chain_of_thought=req.chain_of_thought,
            documents=grounded.texts() if grounded is not None else (),
        )
        return prompt, screened.screening, grounded

    def model_deadline(self, ctx: RequestContext, grounded: GroundedContext | None) -> Deadline:
        """A grounded answer is checked after the model: its time is kept back from the model's."""
        if grounded is None:
            return ctx.deadline
        return Deadline(ctx.deadline.remaining() - GROUNDING_CHECK_SECONDS)

    def _screen_answer(
        self, text: str, screening: Any, grounded: GroundedContext | None, deadline: Deadline, *, guardrail: bool
    ) -> tuple[Any, dict[str, Any]]:
        """The screened answer for the caller, and (grounded requests) its citations and grounding
        verdict, judged on the answer as the model wrote it (placeholders not restored)."""
        if grounded is None:
            return self.safety.screen_output(text, screening, guardrail=guardrail), {}
        kept = self.safety.screen_output(text, KeepPlaceholders(screening), guardrail=guardrail)
        fields = self.grounding.finish(grounded, kept.text, deadline)
        return _Screened(text=screening.restore(kept.text), analysis=kept.analysis), fields

    # ------------------------------------------------------------------ chat
    def chat_turn(self, data: Mapping[str, Any], ctx: RequestContext) -> ChatTurn:
        """Everything before the model call of a chat turn (buffered or streamed): validate, load and
        trim the caller's history, screen the message, retrieve (grounded chats). A grounded turn
        whose retrieval found nothing has no documents: no model is called for it."""
        req = parse_chat(data, self.settings)
        use_case = self.catalog["chat"]
        plan = plan_retrieval(data, use_case.id, self.settings)
        model = req.model
        params = resolve(use_case.default_parameters, req.parameters, model)
        budget = self.settings.chat_history_max_tokens
        if req.conversation_id:
            history, next_turn = self.store.load(req.conversation_id, ctx.caller, budget_chars=budget * 4)
            conversation_id = req.conversation_id
        else:
            history, next_turn, conversation_id = [], 0, str(uuid.uuid4())
        reserved = history_placeholders([turn.text for turn in history])
        sagemaker = model.backend == "sagemaker"
        screened = self.safety.screen_request(
            CallerText(input=req.message, reserved=reserved), primary_field="message", guardrail=sagemaker, language=req.language
        )
        message, screening = screened.text.input, screened.screening
        grounded = None
        if plan is not None:
            grounded = self.grounding.prepare(
                plan,
                query=message,
                reserved=history_placeholders([reserved, message]),
                deadline=ctx.deadline,
                guardrail=sagemaker,
            )
        last_turn = grounded_chat_turn(message, grounded.texts()) if grounded is not None else message
        kept = trim_history(history, budget - estimate_tokens(last_turn))
        turns = (*((turn.role, turn.text) for turn in kept), ("user", last_turn))
        request = ModelRequest(system=chat_system_prompt(use_case), turns=turns, params=params)
        return ChatTurn(
            model, use_case.id, conversation_id, next_turn, message, len(req.message), len(kept), screening, request, grounded
        )

    def chat(self, data: Mapping[str, Any], ctx: RequestContext) -> dict[str, Any]:
        turn = self.chat_turn(data, ctx)
        model, screening, grounded = turn.model, turn.screening, turn.grounded
        conversation_id, next_turn, message = turn.conversation_id, turn.next_turn, turn.message
        sagemaker = model.backend == "sagemaker"
        if grounded is not None and not grounded.documents:
            # No model call; the turn is kept so the conversation reads as the caller saw it.
            self.store.append_pair(conversation_id, ctx.caller, next_turn, message, NO_DOCUMENTS_ANSWER, model.id)
            return {
                "conversation_id": conversation_id,
                "reply": NO_DOCUMENTS_ANSWER,
                "model": model.id,
                "turn": next_turn + 1,
                "history_turns_sent": 0,
                "usage": {"input_tokens": 0, "output_tokens": 0},
                "stop_reason": None,
                "latency_ms": 0.0,
                "estimated_cost_usd": 0.0,
                "safety": {"input": screening.analysis},
                **grounded.no_documents(),
                "request_id": ctx.request_id,
            }
        result = self.backends.invoke(model, turn.request, self.model_deadline(ctx, grounded))
        output = self.safety.screen_output(result.text, KeepPlaceholders(screening), guardrail=sagemaker)
        grounded_fields = self.grounding.finish(grounded, output.text, ctx.deadline) if grounded is not None else {}
        # History keeps what the model saw and wrote (placeholders, new PII masked), never the
        # restored values; the caller gets the restored reply.
        self.store.append_pair(conversation_id, ctx.caller, next_turn, message, output.text, model.id)
        reply = screening.restore(output.text)
        self.record_call(model, turn.use_case, result, input_chars=turn.message_chars, output_chars=len(reply))
        return {
            "conversation_id": conversation_id,
            "reply": reply,
            "model": model.id,
            "turn": next_turn + 1,
            "history_turns_sent": turn.history_turns_sent,
            "usage": result.usage(),
            "stop_reason": result.stop_reason,
            "latency_ms": result.latency_ms,
            "estimated_cost_usd": estimated_cost(model, result),
            "safety": {"input": screening.analysis, "output": output.analysis},
            **grounded_fields,
            "request_id": ctx.request_id,
        }

    # ------------------------------------------------------------------ dry run
    def preview(self, data: Mapping[str, Any], ctx: RequestContext) -> dict[str, Any]:
        """POST /v1/prompt/preview: generate's steps up to the model call (``preview.py``)."""
        from .preview import preview_prompt

        return preview_prompt(self, data, ctx)

    # ------------------------------------------------------------------ moderate
    def moderate(self, data: Mapping[str, Any], ctx: RequestContext) -> dict[str, Any]:
        text, language = parse_moderate(data, self.settings)
        result = self.safety.moderate(text, language)
        return {"moderation": result, "request_id": ctx.request_id}

    # ------------------------------------------------------------------ observability
    def record_call(self, model: ModelSpec, use_case: str, result: ModelResult, *, input_chars: int, output_chars: int) -> None:
        cost = estimated_cost(model, result)
        record_model_call(
            environment=self.settings.environment,
            model=model.id,
            use_case=use_case,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            latency_ms=result.latency_ms,
            cost_usd=cost,
        )
        logger.info(
            "model call completed",
            extra={
                "model": model.id,
                "backend": model.backend,
                "use_case": use_case,
                "input_chars": input_chars,
                "output_chars": output_chars,
                "input_tokens": result.input_tokens,
                "output_tokens": result.output_tokens,
                "latency_ms": result.latency_ms,
                "stop_reason": result.stop_reason,
                "estimated_cost_usd": cost,
            },
        )


def model_request(prompt: Prompt, req: GenerateInput, params: Parameters) -> ModelRequest:
    image = (req.image.format, req.image.data) if req.image else None
    return ModelRequest(system=prompt.system, turns=(("user", prompt.user),), params=params, image=image)
