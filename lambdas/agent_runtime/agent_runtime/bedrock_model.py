"""The model port over Bedrock Converse: every call carries the environment's guardrail.

IAM enforces it too: the Runtime's role is granted through ``BedrockModelAccess.grant_invoke``, which
allows InvokeModel/Converse only with ``bedrock:GuardrailIdentifier`` equal to the pinned guardrail
version and denies every other call (cdk/components/bedrock_model_access).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .loop import ToolSpec


class BedrockConverseModel:
    def __init__(self, client: Any, *, model_id: str, guardrail_id: str, guardrail_version: str, max_tokens: int) -> None:
        self.client = client
        self.model_id = model_id
        self.max_tokens = max_tokens
        self.guardrail = {"guardrailIdentifier": guardrail_id, "guardrailVersion": guardrail_version, "trace": "disabled"}

    def converse(self, *, system: Sequence[str], messages: list[dict[str, Any]],
                 tools: Sequence[ToolSpec]) -> Mapping[str, Any]:
        request: dict[str, Any] = {
            "modelId": self.model_id,
            "system": [{"text": block} for block in system],
            "messages": messages,
            "inferenceConfig": {"maxTokens": self.max_tokens},
            "guardrailConfig": self.guardrail,
        }
        if tools:
            request["toolConfig"] = {"tools": [{"toolSpec": {
                "name": spec.name, "description": spec.description, "inputSchema": {"json": dict(spec.input_schema)},
            }} for spec in tools]}
        return self.client.converse(**request)
