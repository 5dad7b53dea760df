"""``POST /v1/prompt/preview``: a dry run of ``POST /v1/generate`` (the same body).

It takes generate's own steps up to the model call, through the same functions (``parse_generate``,
``plan_retrieval``, ``resolve``, ``Service.prepare_prompt``, ``model_request``), so the prompt it shows
is the one generate would send: validation errors, a blocked input (422) and retrieval failures answer
exactly as generate would. Then it describes the :class:`~orchestrator.backends.ModelRequest` instead of
sending it. Not run: the model, the output screening, the contextual grounding check (it judges an
answer) and the Bedrock guardrail that Bedrock applies inside the model call (a SageMaker model's
guardrail runs on the input, as for generate).

The text is the screened text: the placeholders (``[EMAIL_1]``) the model would see, never the
caller's PII, and retrieved documents as screened.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import chat_templates
from .backends import ModelRequest
from .chat_store import estimate_tokens
from .parameters import resolve
from .retrieval import plan_retrieval
from .validation import parse_generate

if TYPE_CHECKING:
    from .service import RequestContext, Service
    from .settings import ModelSpec


def preview_prompt(service: Service, data: Mapping[str, Any], ctx: RequestContext) -> dict[str, Any]:
    from .service import model_request

    req = parse_generate(data, service.settings, service.catalog)
    plan = plan_retrieval(data, req.use_case.id, service.settings)
    model = req.models[0]
    params = resolve(req.use_case.default_parameters, req.parameters, model)
    prompt, screening, grounded = service.prepare_prompt(req, plan, ctx, guardrail=model.backend == "sagemaker")
    request = model_request(prompt, req, params)
    body: dict[str, Any] = {
        "use_case": req.use_case.id,
        "model": model.id,
        "backend": model.backend,
        "prompt": describe_request(model, request),
        "parameters": params.describe(),
        "screening": screening_summary(screening.analysis),
        "estimated_input_tokens": estimate_tokens((request.system or "") + "".join(text for _, text in request.turns)),
        "model_call": grounded is None or bool(grounded.documents),
        "request_id": ctx.request_id,
    }
    if grounded is not None:
        body["grounding"] = grounded.summary() if grounded.documents else grounded.no_documents()["grounding"]
    return body


def screening_summary(analysis: Mapping[str, Any]) -> dict[str, Any]:
    """The input screening as the preview shows it: the analysis, an ``allowed`` verdict (a blocked input never gets
    here) and ``pii.types``, the types of the entities it masked, named as /v1/moderate names them (the entities'
    offsets index the pieces joined for screening, so a client shows types, not spans)."""
    summary: dict[str, Any] = {**analysis, "verdict": "allowed", "blocked_by": []}
    pii = analysis.get("pii")
    if isinstance(pii, Mapping):
        entities = pii.get("entities") or ()
        masked = {e["type"] for e in entities if isinstance(e, Mapping) and "type" in e and e.get("action", "mask") == "mask"}
        summary["pii"] = {**pii, "types": sorted(masked)}
    return summary


def describe_request(model: ModelSpec, request: ModelRequest) -> dict[str, Any]:
    """The model request as the API shows it: system prompt, messages (the image by format and size,
    never its bytes) and, for SageMaker models, the single string their chat template makes of it."""
    messages: list[dict[str, Any]] = [{"role": role, "text": text} for role, text in request.turns]
    if request.image is not None:
        image_format, data = request.image
        messages[-1]["image"] = {"format": image_format, "bytes": len(data)}
    described: dict[str, Any] = {"system": request.system or None, "messages": messages}
    if model.backend == "sagemaker":
        described["rendered"] = chat_templates.render(model.template, request.system, request.turns)
    return described
