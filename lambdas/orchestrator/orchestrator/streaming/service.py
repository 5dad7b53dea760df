"""The streamed routes: the buffered :class:`~orchestrator.service.Service`'s validation, input
screening, prompts, history and metrics, with the model's answer streamed and released in screened
windows (``windows.py``) as SSE events (``events.py``).

:meth:`StreamService.open` does everything that can still fail with an HTTP status (validation, input
screening, opening the model stream) and returns a :class:`Stream`; iterating it yields the events,
ending with exactly one ``done`` or ``error``. A grounded request (a knowledge base named or the use
case's default) is prepared by the buffered service's own steps (retrieve with the masked question,
screen the documents, the same prompt); with no document above ``min_score`` no model is called and
the stream is the buffered route's no-documents answer. After the last window the guardrail's
contextual grounding check judges the whole screened answer: ``citation`` events for the documents
it cites, then ``done``, or an ``error`` (422 ``not_grounded``) where the knowledge base rejects
answers below its thresholds. Closing it early (the caller went away) closes the
model stream, so no more tokens are generated for a reader that is gone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .. import chat_templates
from ..agent_service import AgentService
from ..backends import ModelResult
from ..deadline import RESPONSE_MARGIN_SECONDS, Deadline
from ..errors import NotFound
from ..grounding import NO_DOCUMENTS_ANSWER, GroundedContext
from ..parameters import resolve
from ..retrieval import plan_retrieval
from ..service import RequestContext, Service, estimated_cost, model_request
from ..settings import ModelSpec
from ..stream_settings import StreamSettings
from ..validation import parse_generate
from . import model_stream
from .agent_stream import AgentStream
from .events import error_event, event
from .windows import OutputWindows, WindowLimits


@dataclass
class _Plan:
    model: ModelSpec
    use_case: str
    input_chars: int
    screening: Any
    opened: model_stream.ModelStream | None  # None: grounded, no document matched (no model call)
    chat: Any = None  # ChatTurn for chat
    grounded: GroundedContext | None = None


class StreamService:
    """``agent``: POST /v1/agent/stream's service (None where agents are off: that route answers 404)."""

    def __init__(self, service: Service, stream_settings: StreamSettings, agent: AgentService | None = None) -> None:
        self.service = service
        self.settings = stream_settings
        self.agent = agent
        self.limits = WindowLimits(
            window_chars=stream_settings.window_chars,
            min_window_chars=stream_settings.min_window_chars,
            tail_chars=stream_settings.tail_chars,
        )

    def deadline(self, context: Any) -> Deadline:
        """The stream's budget: ``max_seconds`` (and the Lambda's remaining time), less the time to
        screen the last window and end the stream."""
        margin = RESPONSE_MARGIN_SECONDS + self.service.output_screening_seconds
        return Deadline.for_request(self.settings.max_seconds, context, margin=margin)

    # ------------------------------------------------------------------ opening (may fail with a status)
    def open(self, operation: str, data: Mapping[str, Any], ctx: RequestContext) -> Stream | AgentStream:
        if operation == "agent":
            if self.agent is None:
                raise NotFound("no route for /v1/agent/stream: agents are not enabled in this environment")
            return AgentStream(self.agent, self.agent.prepare(data, ctx), ctx, self.limits)
        plan = self._open_chat(data, ctx) if operation == "chat" else self._open_generate(data, ctx)
        return Stream(self, plan, ctx)

    def _open_generate(self, data: Mapping[str, Any], ctx: RequestContext) -> _Plan:
        svc = self.service
        req = parse_generate(data, svc.settings, svc.catalog)
        retrieval = plan_retrieval(data, req.use_case.id, svc.settings)
        model = req.models[0]
        params = resolve(req.use_case.default_parameters, req.parameters, model)
        prompt, screening, grounded = svc.prepare_prompt(req, retrieval, ctx, guardrail=model.backend == "sagemaker")
        opened = None
        if grounded is None or grounded.documents:
            opened = self._open_model(model, model_request(prompt, req, params), svc.model_deadline(ctx, grounded))
        return _Plan(model, req.use_case.id, len(req.input), screening, opened, grounded=grounded)

    def _open_chat(self, data: Mapping[str, Any], ctx: RequestContext) -> _Plan:
        svc = self.service
        turn = svc.chat_turn(data, ctx)
        opened = None
        if turn.grounded is None or turn.grounded.documents:
            opened = self._open_model(turn.model, turn.request, svc.model_deadline(ctx, turn.grounded))
        else:
            # As the buffered chat, no model call and the turn kept so the conversation reads as the caller
            # sees it; stored while a failure can still answer with a status.
            svc.store.append_pair(turn.conversation_id, ctx.caller, turn.next_turn, turn.message,
                                  NO_DOCUMENTS_ANSWER, turn.model.id)
        return _Plan(turn.model, turn.use_case, turn.message_chars, turn.screening, opened, chat=turn, grounded=turn.grounded)

    def _open_model(self, model: ModelSpec, request: Any, deadline: Deadline) -> model_stream.ModelStream:
        clients = self.service.backends.clients
        if model.backend == "bedrock":
            return model_stream.open_bedrock(clients.client("bedrock-runtime"), model, request, self.service.settings, deadline)
        return model_stream.open_sagemaker(clients.client("sagemaker-runtime"), model, request, deadline)


class Stream:
    """The events of one opened stream (iterate once; ``close()`` when the caller goes away)."""

    def __init__(self, owner: StreamService, plan: _Plan, ctx: RequestContext) -> None:
        self._owner = owner
        self._plan = plan
        self._ctx = ctx
        self._events = self._run()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._events

    def close(self) -> None:
        self._events.close()  # GeneratorExit inside _run: its finally closes the model stream

    def _start(self) -> dict[str, Any]:
        start: dict[str, Any] = {"request_id": self._ctx.request_id, "model": self._plan.model.id}
        if self._plan.chat is not None:
            start["conversation_id"] = self._plan.chat.conversation_id
        return event("start", **start)

    def _no_documents(self, grounded: GroundedContext) -> Iterator[dict[str, Any]]:
        """The buffered routes' no-documents answer as events: no model call, no citations."""
        plan, ctx = self._plan, self._ctx
        yield self._start()
        yield event("delta", text=NO_DOCUMENTS_ANSWER)
        done: dict[str, Any] = {"stop_reason": None, "request_id": ctx.request_id,
                                "grounding": grounded.no_documents()["grounding"]}
        if plan.chat is not None:
            done["turn"] = plan.chat.next_turn + 1  # the turn was stored when the stream opened
        yield event("done", **done)

    def _run(self) -> Iterator[dict[str, Any]]:
        plan, ctx, svc = self._plan, self._ctx, self._owner.service
        if plan.opened is None and plan.grounded is not None:
            yield from self._no_documents(plan.grounded)
            return
        sagemaker = plan.model.backend == "sagemaker"
        from safety.text import sanitize_output

        windows = OutputWindows(svc.safety, plan.screening, guardrail=sagemaker, limits=self._owner.limits,
                                sanitize=sanitize_output)
        stop_reason, usage = "end_turn", model_stream.Piece("usage")
        try:
            yield self._start()
            cut_at_user_turn = _TurnCutter(chat_templates.runaway_markers(plan.model.template)) if sagemaker else None
            for piece in plan.opened:
                if piece.kind == "error":
                    raise piece.error  # type: ignore[misc]
                if piece.kind == "stop":
                    stop_reason = piece.text
                elif piece.kind == "usage":
                    usage = piece
                elif piece.kind == "text":
                    text = piece.text
                    if cut_at_user_turn is not None:
                        text, ended = cut_at_user_turn(text)
                        if ended:
                            plan.opened.close()
                            stop_reason = "end_turn"
                    for released in windows.feed(text):
                        yield event("delta", text=released)
                    if cut_at_user_turn is not None and cut_at_user_turn.ended:
                        break
            if cut_at_user_turn is not None and not cut_at_user_turn.ended:
                for released in windows.feed(cut_at_user_turn.flush()):
                    yield event("delta", text=released)
            for released in windows.finish():
                yield event("delta", text=released)
            result = ModelResult(
                text=windows.reply, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                stop_reason=stop_reason, latency_ms=plan.opened.latency_ms, estimated=usage.estimated,
            )
            done: dict[str, Any] = {"stop_reason": stop_reason, "request_id": ctx.request_id}
            cited: list[dict[str, Any]] = []
            if plan.grounded is not None:
                # The whole screened answer (placeholders kept, as the buffered routes judge it); a
                # rejecting knowledge base raises 422 not_grounded here: the stream ends with `error`.
                fields = svc.grounding.finish(plan.grounded, windows.reply, ctx.deadline)
                cited, done["grounding"] = fields["citations"], fields["grounding"]
            if plan.chat is not None:
                turn = plan.chat
                svc.store.append_pair(turn.conversation_id, ctx.caller, turn.next_turn, turn.message, windows.reply,
                                      plan.model.id)
                done["turn"] = turn.next_turn + 1
            svc.record_call(plan.model, plan.use_case, result, input_chars=plan.input_chars,
                            output_chars=len(windows.reply))
            for citation in cited:
                yield event("citation", **citation)
            yield event("usage", **result.usage(), estimated_cost_usd=estimated_cost(plan.model, result))
            yield event("done", **done)
        except Exception as exc:  # noqa: BLE001 - never a trace on the wire (error_event)
            yield error_event(exc, ctx.request_id, screenings=windows.screenings)
        finally:
            plan.opened.close()


class _TurnCutter:
    """Text-generation containers (SageMaker): a model that runs on into a next turn is cut there, as on
    the buffered path (``chat_templates.runaway_markers`` of the model's template). Holds back a
    possible marker prefix until it is decided."""

    def __init__(self, markers: tuple[str, ...]) -> None:
        self._markers = markers
        self._held = ""
        self.ended = False

    def __call__(self, text: str) -> tuple[str, bool]:
        text = self._held + text
        cuts = [index for index in (text.find(marker) for marker in self._markers) if index >= 0]
        if cuts:
            self.ended = True
            return text[: min(cuts)], True
        keep = max((n for marker in self._markers for n in range(min(len(marker) - 1, len(text)), 0, -1)
                    if marker.startswith(text[-n:])), default=0)
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep], False

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held
