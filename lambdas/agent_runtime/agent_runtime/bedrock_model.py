"""The agent's model: the Strands Agents SDK's Bedrock provider, every call carrying the environment's guardrail.

IAM enforces the guardrail too: the Runtime's role is granted through ``BedrockModelAccess.grant_invoke``, which
allows InvokeModel (Converse) only with ``bedrock:GuardrailIdentifier`` equal to the pinned guardrail version and
denies every other call (cdk/components/bedrock_model_access). ``streaming=False`` keeps the calls on Converse
(bedrock:InvokeModel; ConverseStream would need bedrock:InvokeModelWithResponseStream): the answer is screened by
the orchestrator before anyone sees it, so streaming the model's tokens here would buy nothing.
"""

from __future__ import annotations

from typing import Any


def guarded_bedrock_model(*, session: Any, model_id: str, guardrail_id: str, guardrail_version: str,
                          max_tokens: int, read_timeout: float) -> Any:
    """A ``strands.models.BedrockModel`` over ``session`` (its region and credentials) with the guardrail pinned;
    ``read_timeout`` bounds one model call (the run's time limit)."""
    from botocore.config import Config
    from strands.models import BedrockModel

    return BedrockModel(
        boto_session=session,
        boto_client_config=Config(connect_timeout=3, read_timeout=read_timeout,
                                  retries={"mode": "standard", "total_max_attempts": 2}),
        model_id=model_id,
        max_tokens=max_tokens,
        guardrail_id=guardrail_id,
        guardrail_version=guardrail_version,
        guardrail_trace="disabled",
        streaming=False,
        include_tool_result_status=True,  # the model is told which tool calls failed
    )
