"""SageMaker real-time endpoints running a text-generation container (the Inferentia endpoint):
Hugging Face TGI or DJL LMI, both ``{"inputs": str, "parameters": {...}}`` over
``sagemaker-runtime`` ``InvokeEndpoint``.

Responses: TGI answers ``[{"generated_text", "details": {"finish_reason", "generated_tokens"}}]``;
LMI (rolling batch) answers ``{"generated_text", "details": {...}}`` (a list when
``OPTION_TGI_COMPAT`` is on), and reports a failed generation as ``finish_reason: "error"``.
Neither reports input tokens without ``decoder_input_details``: they are estimated (chars/4) and
flagged as such in ``usage.estimated``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from .. import chat_templates
from ..errors import ModelError
from ..observability import subsegment
from ..parameters import to_text_generation
from ..settings import ModelSpec
from . import ModelRequest, ModelResult, elapsed_ms

CHARS_PER_TOKEN = 4
# finish_reason -> the Converse-style stop_reason this API reports.
_STOP_REASONS = {
    "length": "max_tokens",
    "eos_token": "end_turn",
    "stop": "end_turn",
    "stop_sequence": "stop_sequence",
}


def build_body(model: ModelSpec, request: ModelRequest) -> dict[str, Any]:
    return {
        "inputs": chat_templates.render(model.template, request.system, request.turns),
        "parameters": to_text_generation(request.params, model.container),
    }


def parse_body(model: ModelSpec, raw: bytes, prompt_chars: int, latency_ms: float) -> ModelResult:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ModelError(f"model {model.id} returned a response that is not JSON") from None
    if isinstance(data, list):
        data = data[0] if data else {}
    if not isinstance(data, dict) or not isinstance(data.get("generated_text"), str):
        raise ModelError(f"model {model.id} returned a response without generated_text")
    details = data.get("details") if isinstance(data.get("details"), dict) else {}
    finish_reason = str(details.get("finish_reason") or details.get("finish reason") or "")
    if finish_reason == "error":
        raise ModelError(f"model {model.id} failed while generating")
    text = data["generated_text"]
    text = chat_templates.cut_runaway(model.template, text)  # a model that runs on into a next turn
    estimated = ["input_tokens"]
    output_tokens = details.get("generated_tokens")
    if not isinstance(output_tokens, int):
        output_tokens = max(1, len(text) // CHARS_PER_TOKEN) if text else 0
        estimated.append("output_tokens")
    return ModelResult(
        text=text.strip(),
        input_tokens=max(1, prompt_chars // CHARS_PER_TOKEN),
        output_tokens=output_tokens,
        stop_reason=_STOP_REASONS.get(finish_reason, finish_reason or "end_turn"),
        latency_ms=latency_ms,
        estimated=tuple(estimated),
    )


def invoke(client: Any, model: ModelSpec, request: ModelRequest) -> ModelResult:
    body = build_body(model, request)
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    start = time.perf_counter()
    with subsegment("## sagemaker.invoke_endpoint", model=model.id):
        response = client.invoke_endpoint(
            EndpointName=model.endpoint,
            ContentType="application/json",
            Accept="application/json",
            Body=payload,
        )
        raw = response["Body"].read()
    return parse_body(model, raw, len(body["inputs"]), elapsed_ms(start))
