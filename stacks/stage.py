"""One environment (dev, staging, prod, dev-alice, ...) as a CDK Stage.

The same Stage serves workstation deploys (``cdk deploy 'dev/*'``) and the delivery pipeline, so there
is one definition of an environment.
"""

from __future__ import annotations

from aws_cdk import Environment, Stage, Tags
from constructs import Construct

from cdk.config import EnvironmentConfig
from cdk.config.environment import ENVIRONMENT_TAG_KEY, PROJECT_TAG_KEY
from stacks.agents_stack import AgentsStack
from stacks.alerting_stack import AlertingStack
from stacks.bedrock_stack import BedrockStack
from stacks.evaluation_stack import EvaluationStack
from stacks.knowledge_stack import KnowledgeStack
from stacks.observability_stack import ObservabilityStack
from stacks.orchestration_stack import OrchestrationStack
from stacks.orchestrator_settings import OrchestratorInputs
from stacks.playground_stack import PlaygroundStack
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
        # The budget (cdk/components/cost_budget) filters on the environment tag; config refuses tags with these keys.
        Tags.of(self).add(PROJECT_TAG_KEY, config.project)
        Tags.of(self).add(ENVIRONMENT_TAG_KEY, config.name)
        for key, value in config.tags.items():
            Tags.of(self).add(key, value)

        # Order matters only for readability: CDK derives deployment order from references.
        self.alerting = AlertingStack(self, "Alerting", **self._stack_props("alerting", "the alarm notification topic"))
        self.bedrock = BedrockStack(
            self, "Bedrock", **self._stack_props("bedrock", "Bedrock model access, guardrail, prompts, inference profiles"),
            alarm_topic=self.alerting.alarm_topic,
        )
        # Only an environment that runs an Inferentia endpoint or Trainium fine-tuning gets this stack.
        self.sagemaker: SageMakerStack | None = None
        if config.sagemaker.endpoint.enabled or config.sagemaker.training.enabled:
            self.sagemaker = SageMakerStack(
                self, "SageMaker",
                **self._stack_props("sagemaker", "Inferentia2 LLM endpoint and Trainium fine-tuning pipeline"),
            )
        # Only an environment that configures knowledge_bases gets this stack.
        self.knowledge: KnowledgeStack | None = None
        if config.knowledge_bases:
            self.knowledge = KnowledgeStack(
                self, "Knowledge",
                **self._stack_props("knowledge", "knowledge bases on S3 Vectors and their ingestion"),
                alarm_topic=self.alerting.alarm_topic,
            )
        # What every function running the orchestrator's code is configured from (stacks/orchestrator_settings.py).
        orchestrator_inputs = OrchestratorInputs(
            model_descriptors=self.bedrock.model_descriptors,
            default_models=self.bedrock.default_models,
            guardrail_arn=self.bedrock.guardrail_arn,
            guardrail_version=self.bedrock.guardrail_version,
            guardrail_screens_images=self.bedrock.guardrail_screens_images,
            endpoint=self.sagemaker.endpoint if self.sagemaker is not None else None,
            knowledge_bases=self.knowledge.descriptors if self.knowledge is not None else (),
        )
        # Only an environment with agents.enabled gets this stack. Before the API: the API invokes its Runtime
        # (POST /v1/agent) and takes it by reference; the agents stack needs nothing from the API stack.
        self.agents: AgentsStack | None = None
        if config.agents.enabled:
            self.agents = AgentsStack(
                self, "Agents", **self._stack_props("agents", "AgentCore agent, its Gateway tools and memory"),
                model_access=self.bedrock.model_access, inputs=orchestrator_inputs, knowledge=self.knowledge,
                alarm_topic=self.alerting.alarm_topic,
            )
        self.api = OrchestrationStack(
            self, "Api", **self._stack_props("api", "prompt orchestration API, its function, chat history and WAF"),
            model_access=self.bedrock.model_access,
            inputs=orchestrator_inputs,
            agent=self.agents.agent if self.agents is not None else None,
        )
        if self.knowledge is not None:
            # Retrieve on exactly these knowledge bases (their KNOWLEDGE_BASES settings are the descriptors above).
            for fn in (self.api.function, self.api.stream_function):
                self.knowledge.grant_retrieve(fn)

        # Only an environment with evaluation.enabled gets the evaluation state machine (issue 15).
        self.evaluation: EvaluationStack | None = None
        if config.evaluation.pipeline is not None:
            self.evaluation = EvaluationStack(
                self, "Evaluation",
                **self._stack_props("evaluation", "evaluation state machine, reports and the Bedrock judge"),
                orchestrator=self.api.function,
            )

        # Only an environment with playground.enabled gets the browser playground (after the API it proxies).
        self.playground: PlaygroundStack | None = None
        if config.playground.enabled:
            self.playground = PlaygroundStack(
                self, "Playground",
                **self._stack_props("playground", "browser playground: CloudFront site, sign-in, the API on /v1/*"),
                api=self.api,
            )

        # Last: reads what the stacks above expose (pass each one as it exists), nothing depends on it.
        self.observability = ObservabilityStack(
            self, "Observability",
            **self._stack_props("observability", "dashboard, alarms, CloudTrail and its security alarms"),
            alarm_topic=self.alerting.alarm_topic,
            bedrock=self.bedrock,
            sagemaker=self.sagemaker,
            api=self.api,
            knowledge=self.knowledge,
            evaluation=self.evaluation,
            agents=self.agents,
        )

    def _stack_props(self, name: str, purpose: str) -> dict[str, object]:
        """What every stack of the environment takes: its stack name, a description, the environment config."""
        config = self.config
        return {"stack_name": config.stack_name(name), "description": f"{config.project} {config.name}: {purpose}",
                "config": config}
