"""The orchestrator's settings contract object (``lambdas/orchestrator/orchestrator/settings.py``), built in one place
for every function that runs the orchestrator's code: the API's two functions (``OrchestrationStack``) and the
Gateway's tool function (``AgentsStack``).

Both stacks take the same inputs from the Bedrock, SageMaker and knowledge stacks, so the agents stack needs
nothing from the API stack, and the API stack can take the agent's Runtime by reference (``POST /v1/agent``).
What only the API has is an argument: its conversation table and the Runtime ARN (the tool function keeps no
conversations and calls no agent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aws_cdk import aws_iam as iam

from cdk.components.knowledge_base.props import KnowledgeBaseDescriptor
from cdk.config import EnvironmentConfig
from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()

# isort: split
from orchestrator.knowledge_settings import KnowledgeBaseSettings  # noqa: E402
from orchestrator.model_spec import ModelSpec  # noqa: E402
from orchestrator.settings import Settings  # noqa: E402

SERVICE_NAME = "orchestrator"


class InferenceEndpoint(Protocol):
    """What the SageMaker stack's ``endpoint`` offers."""

    endpoint_name: str
    model_descriptor: Mapping[str, Any]

    def grant_invoke(self, grantee: iam.IGrantable) -> Any: ...


@dataclass(frozen=True)
class OrchestratorInputs:
    """The other stacks' outputs the orchestrator's settings are made of (the stage builds this once)."""

    model_descriptors: Sequence[Mapping[str, Any]]
    default_models: Mapping[str, str]
    guardrail_arn: str
    guardrail_version: str
    guardrail_screens_images: bool = False
    endpoint: InferenceEndpoint | None = None
    knowledge_bases: Sequence[KnowledgeBaseDescriptor] = ()

    def settings(self, config: EnvironmentConfig, *, conversation_table: str | None = None,
                 agent_runtime_arn: str | None = None) -> Settings:
        """The settings contract; the guardrail is named by its ARN, the form IAM's GuardrailIdentifier condition
        uses. ``conversation_table`` and ``agent_runtime_arn`` are the API's (tokens at synth)."""
        api = config.api
        endpoint = self.endpoint
        descriptors = [*self.model_descriptors, *([endpoint.model_descriptor] if endpoint is not None else [])]
        return Settings(
            environment=config.name,
            service=SERVICE_NAME,
            metrics_namespace=api.metrics_namespace,
            log_level=api.log_level,
            models={spec.id: spec for spec in map(ModelSpec.described, descriptors)},
            default_models=dict(self.default_models),
            safety=config.safety.with_guardrail(self.guardrail_arn, self.guardrail_version),
            conversation_table=conversation_table,
            conversation_ttl_seconds=api.conversation_ttl_seconds,
            chat_history_max_tokens=api.chat_history_max_tokens,
            request_deadline_seconds=api.request_deadline_seconds,
            max_input_chars=api.max_input_chars,
            guardrail_screens_images=self.guardrail_screens_images,
            knowledge_bases={kb.name: knowledge_base_settings(kb) for kb in self.knowledge_bases},
            agent_runtime_arn=agent_runtime_arn,
        )


def knowledge_base_settings(kb: KnowledgeBaseDescriptor) -> KnowledgeBaseSettings:
    """A knowledge stack's descriptor as the function's ``KNOWLEDGE_BASES`` entry (the id is a token)."""
    return KnowledgeBaseSettings(
        name=kb.name,
        knowledge_base_id=kb.knowledge_base_id,
        description=kb.description,
        filterable_keys=kb.filterable_keys,
        max_results=kb.retrieval.max_results,
        min_score=kb.retrieval.min_score,
        grounded_use_cases=kb.grounded_use_cases,
        grounding_threshold=kb.grounding.grounding_threshold,
        relevance_threshold=kb.grounding.relevance_threshold,
        below_threshold=kb.grounding.below_threshold_action,
        retrieved_text_pii=kb.retrieved_text_pii,
    )
