"""Bedrock access for one environment: allowed models, the enforced guardrail, managed prompts,
application inference profiles and,
when the environment declares a VPC, private endpoints.

What later stacks use:

- ``model_access``: ``grant_invoke(grantee)`` (allowed models, guardrail enforced by IAM) and
  ``grant_apply_guardrail(grantee)``;
- ``guardrail_id``, ``guardrail_arn``, ``guardrail_version`` (pinned numeric version, a token);
- ``model_descriptors``: the orchestrator's ``MODELS`` entries; ``target`` is the application inference
  profile ARN to pass as ``modelId``;
- ``default_models``: family (text, chat, code, vision) -> model id;
- ``metric_model_ids``: the ``ModelId`` dimension values of ``AWS/Bedrock`` metrics for the app's calls;
- ``prompt_catalog_path``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from cdk.components.alarm_topic import AlarmTopic
from cdk.components.bedrock_guardrail import (
    ContextualGroundingSpec,
    EnforcedGuardrail,
    GuardrailPolicy,
)
from cdk.components.bedrock_inference_profiles import ApplicationInferenceProfiles
from cdk.components.bedrock_model_access import ModelAccess, ModelRoute
from cdk.components.bedrock_prompts import ManagedPrompts, PromptModel
from cdk.components.bedrock_vpc_endpoints import BedrockVpcEndpoints
from cdk.components.knowledge_base.props import KnowledgeBaseProps
from cdk.config import ConfigError, EnvironmentConfig
from cdk.config.bedrock import AllowedModel
from cdk.config.prompt_catalog import load_prompt_catalog
from stacks.network import import_vpc

PROMPT_CATALOG_PATH = Path(__file__).resolve().parents[1] / "lambdas" / "orchestrator" / "prompt_catalog.json"


class BedrockStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig,
                 alarm_topic: AlarmTopic | None = None, prompt_catalog_path: Path = PROMPT_CATALOG_PATH,
                 **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        bedrock = config.bedrock
        if not bedrock.models:
            raise ConfigError(f"environments.{config.name}.bedrock.models", "the allow-list is empty")
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        prefix = f"{config.project}-{config.name}"
        tags = {"project": config.project, "environment": config.name}

        self.guardrail = EnforcedGuardrail(
            self,
            "Guardrail",
            name=f"{prefix}-guardrail" if len(prefix) <= 40 else f"{prefix}-gr",  # GuardrailName: 1..50
            description=f"{config.project} {config.name}: content, prompt-attack, PII and topic filters",
            policy=_with_contextual_grounding(bedrock.guardrail, config.knowledge_bases),
            removal_policy=removal,
        )
        self.guardrail_id: str = self.guardrail.guardrail_id
        self.guardrail_arn: str = self.guardrail.guardrail_arn
        self.guardrail_version: str = self.guardrail.guardrail_version
        self.guardrail_screens_images: bool = self.guardrail.policy.screens_input_images()

        routes = [_route(model) for model in bedrock.models]
        self.inference_profiles = ApplicationInferenceProfiles(
            self, "InferenceProfiles", name_prefix=prefix, routes=routes, tags=tags,
            description_prefix=f"{config.project} {config.name}",
        )
        self.model_access = ModelAccess(
            self,
            "ModelAccess",
            routes=routes,
            application_profile_arns=list(self.inference_profiles.arns.values()),
            guardrail_arn=self.guardrail_arn,
            guardrail_versioned_arn=self.guardrail.versioned_arn,
            guardrail_key=self.guardrail.key,
        )

        self.model_descriptors: list[dict[str, Any]] = [
            _descriptor(model, self.inference_profiles.arn_for(model.id)) for model in bedrock.models
        ]
        self.default_models: dict[str, str] = dict(bedrock.default_models)
        # Calls go through the application profiles, so AWS/Bedrock records them under the profile ARN
        # (the modelId of the request), one per allowed model.
        self.metric_model_ids: list[str] = [self.inference_profiles.arn_for(model.id) for model in bedrock.models]

        self.prompt_catalog_path = prompt_catalog_path
        catalog = load_prompt_catalog(prompt_catalog_path)
        self.prompts = ManagedPrompts(
            self,
            "Prompts",
            name_prefix=prefix,
            catalog=catalog,
            models={family: _prompt_model(bedrock.model(model_id), self.inference_profiles)
                    for family, model_id in bedrock.default_models.items()},
            tags=tags,
        )

        self.vpc_endpoints: BedrockVpcEndpoints | None = None
        network = config.network
        if network.has_vpc and network.interface_endpoints:
            vpc = import_vpc(self, "Vpc", network)
            self.vpc_endpoints = BedrockVpcEndpoints(
                self, "VpcEndpoints", vpc=vpc, vpc_cidr=network.vpc_cidr, services=network.interface_endpoints,
                subnets=ec2.SubnetSelection(subnets=vpc.private_subnets),
                runtime_resource_arns=[*self.model_access.invoke_resource_arns, self.guardrail_arn],
            )


def _route(model: AllowedModel) -> ModelRoute:
    return ModelRoute(model_id=model.id, foundation_model_id=model.foundation_model_id, routing=model.routing,
                      destination_regions=model.destination_regions)


def _descriptor(model: AllowedModel, target: str) -> dict[str, Any]:
    """One entry of the orchestrator's ``MODELS`` (see ``lambdas/orchestrator/orchestrator/settings.py``)."""
    spec = model.spec
    return {
        "id": model.id,
        "backend": "bedrock",
        "target": target,
        "provider": spec.provider,
        "max_tokens": spec.max_output_tokens,
        "temperature_max": spec.temperature_max,
        "top_k": spec.top_k,
        "top_p": spec.top_p_with_temperature,
        "image": spec.image,
        "price_in": model.price.input,
        "price_out": model.price.output,
    }


def _prompt_model(model: AllowedModel, profiles: ApplicationInferenceProfiles) -> PromptModel:
    return PromptModel(model_id=model.id, invokable=profiles.profiles[model.id],
                       top_p_with_temperature=model.spec.top_p_with_temperature,
                       max_output_tokens=model.spec.max_output_tokens)


def _with_contextual_grounding(policy: GuardrailPolicy, knowledge_bases: Sequence[KnowledgeBaseProps]) -> GuardrailPolicy:
    """Grounded answers are checked against each knowledge base's own thresholds by the orchestrator (from the
    scores); the guardrail's detect-only thresholds are the lowest configured, so its "detected" flag agrees."""
    if not knowledge_bases:
        return policy
    return replace(policy, contextual_grounding=ContextualGroundingSpec(
        grounding_threshold=min(kb.grounding.grounding_threshold for kb in knowledge_bases),
        relevance_threshold=min(kb.grounding.relevance_threshold for kb in knowledge_bases),
    ))
