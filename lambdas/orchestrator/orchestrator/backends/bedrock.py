"""Bedrock Converse. Every call carries ``guardrailConfig`` (IAM denies calls without it); the
system prompt goes in ``system``; turns alternate user/assistant; an image goes with the last
user turn, before its text."""

from __future__ import annotations

import time
from typing import Any

from ..errors import Blocked, ModelError
from ..observability import subsegment
from ..parameters import to_converse
from ..settings import ModelSpec
from . import ModelRequest, ModelResult, elapsed_ms

# Converse stopReason values (botocore model) that are not a normal completion.
_BLOCKED = {"guardrail_intervened": "guardrail", "content_filtered": "model_content_filter"}
_FAILED = {"malformed_model_output", "malformed_tool_use", "model_context_window_exceeded"}


def build_request(model: ModelSpec, request: ModelRequest, settings: Any) -> dict[str, Any]:
    messages = []
    last = len(request.turns) - 1
    for index, (role, text) in enumerate(request.turns):
        content: list[dict[str, Any]] = []
        if index == last and request.image is not None:
            image_format, data = request.image
            content.append({"image": {"format": image_format, "source": {"bytes": data}}})
        content.append({"text": text})
        messages.append({"role": role, "content": content})
    inference_config, additional = to_converse(request.params, model)
    body: dict[str, Any] = {
        "modelId": model.target,
        "messages": messages,
        "inferenceConfig": inference_config,
        "guardrailConfig": {
            # The ARN, not the bare id: the IAM condition names the ARN (safety/settings.py, GUARDRAIL_ARN_PATTERN).
            "guardrailIdentifier": settings.guardrail_arn,
            "guardrailVersion": settings.guardrail_version,
            "trace": "disabled",
        },
    }
    if request.system:
        body["system"] = [{"text": request.system}]
    if additional:
        body["additionalModelRequestFields"] = additional
    return body


def parse_response(model: ModelSpec, response: dict[str, Any], latency_ms: float) -> ModelResult:
    stop_reason = response.get("stopReason", "")
    if stop_reason in _BLOCKED:
        # The guardrail's canned message is not model output: report the block instead.
        check = _BLOCKED[stop_reason]
        raise Blocked(f"the request or the model's answer was blocked by the {check.replace('_', ' ')}", extra={"check": check})
    if stop_reason in _FAILED:
        raise ModelError(f"model {model.id} could not complete the answer ({stop_reason})")
    blocks = response.get("output", {}).get("message", {}).get("content", [])
    text = "".join(block.get("text", "") for block in blocks if isinstance(block, dict))
    usage = response.get("usage", {})
    return ModelResult(
        text=text,
        input_tokens=int(usage.get("inputTokens", 0)),
        output_tokens=int(usage.get("outputTokens", 0)),
        stop_reason=stop_reason,
        latency_ms=float(response.get("metrics", {}).get("latencyMs", latency_ms)),
    )


def invoke(client: Any, model: ModelSpec, request: ModelRequest, settings: Any) -> ModelResult:
    body = build_request(model, request, settings)
    start = time.perf_counter()
    with subsegment("## bedrock.converse", model=model.id):
        response = client.converse(**body)
    return parse_response(model, response, elapsed_ms(start))
