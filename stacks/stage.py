"""One environment (dev, staging, prod, dev-alice, ...) as a CDK Stage.

The same Stage serves workstation deploys (``cdk deploy 'dev/*'``) and the delivery pipeline, so there
is one definition of an environment.
"""

from __future__ import annotations

from aws_cdk import Environment, Stage, Tags
from constructs import Construct

from cdk.config import EnvironmentConfig
from stacks.alerting_stack import AlertingStack
from stacks.bedrock_stack import BedrockStack
from stacks.knowledge_stack import KnowledgeStack
from stacks.observability_stack import ObservabilityStack
from stacks.orchestration_stack import OrchestrationStack
from stacks.sagemaker_stack import SageMakerStack


class GenAiStage(Stage):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs) -> None:
        super().__init__(
            scope,
            construct_id,
            env=Environment(account=config.account, region=config.region),
            **kwargs,
        )
        self.config = config
        Tags.of(self).add("project", config.project)
        Tags.of(self).add("environment", config.name)
        for key, value in config.tags.items():
            Tags.of(self).add(key, value)

        # Order matters only for readability: CDK derives deployment order from references.
        self.alerting = AlertingStack(
            self,
            "Alerting",
            stack_name=config.stack_name("alerting"),
            description=f"{config.project} {config.name}: the alarm notification topic",
            config=config,
        )
        self.bedrock = BedrockStack(
            self,
            "Bedrock",
            stack_name=config.stack_name("bedrock"),
            description=f"{config.project} {config.name}: Bedrock model access, guardrail, prompts, inference profiles",
            config=config,
            alarm_topic=self.alerting.alarm_topic,
        )
        # Only an environment that runs an Inferentia endpoint or Trainium fine-tuning gets this stack.
        self.sagemaker: SageMakerStack | None = None
        if config.sagemaker.endpoint.enabled or config.sagemaker.training.enabled:
            self.sagemaker = SageMakerStack(
                self,
                "SageMaker",
                stack_name=config.stack_name("sagemaker"),
                description=f"{config.project} {config.name}: Inferentia2 LLM endpoint and Trainium fine-tuning pipeline",
                config=config,
            )
        # Only an environment that configures knowledge_bases gets this stack.
        self.knowledge: KnowledgeStack | None = None
        if config.knowledge_bases:
            self.knowledge = KnowledgeStack(
                self,
                "Knowledge",
                stack_name=config.stack_name("knowledge"),
                description=f"{config.project} {config.name}: knowledge bases on S3 Vectors and their ingestion",
                config=config,
                alarm_topic=self.alerting.alarm_topic,
            )
        self.api = OrchestrationStack(
            self,
            "Api",
            stack_name=config.stack_name("api"),
            description=f"{config.project} {config.name}: prompt orchestration API, its function, chat history and WAF",
            config=config,
            model_access=self.bedrock.model_access,
            model_descriptors=self.bedrock.model_descriptors,
            default_models=self.bedrock.default_models,
            guardrail_arn=self.bedrock.guardrail_arn,
            guardrail_version=self.bedrock.guardrail_version,
            endpoint=self.sagemaker.endpoint if self.sagemaker is not None else None,
        )
        if self.knowledge is not None:
            # Retrieve on exactly these knowledge bases; the API's settings for them come with the runtime half.
            self.knowledge.grant_retrieve(self.api.function)

        # Last: reads what the stacks above expose (pass each one as it exists), nothing depends on it.
        self.observability = ObservabilityStack(
            self,
            "Observability",
            stack_name=config.stack_name("observability"),
            description=f"{config.project} {config.name}: dashboard, alarms, CloudTrail and its security alarms",
            config=config,
            alarm_topic=self.alerting.alarm_topic,
            bedrock=self.bedrock,
            sagemaker=self.sagemaker,
            api=self.api,
            knowledge=self.knowledge,
        )
