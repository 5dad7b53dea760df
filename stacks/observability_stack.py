"""One environment's operations view: dashboard, service alarms (the account's trail is in the account stack).

Deployed last: it only reads what the other stacks expose (names, ARNs, the model ids CloudWatch records),
so nothing depends on it and removing it never blocks another stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.components.alarm_topic import AlarmTopic
from cdk.components.ops_dashboard import OpsDashboard
from cdk.components.service_alarms import ServiceAlarms, TokenBudget
from cdk.components.service_metrics import ApiService, AppMetrics, BedrockModels, Guardrail, InferenceEndpoint, TrainingPipeline
from cdk.components.trail_security_alarms import TrailSecurityAlarms
from cdk.config import EnvironmentConfig


class BedrockOutputs(Protocol):
    metric_model_ids: Any  # label -> ModelId mapping, or a sequence of ModelId values
    guardrail_arn: str
    guardrail_version: str
    model_descriptors: Sequence[Mapping[str, Any]]


class EndpointOutputs(Protocol):
    endpoint_name: str
    variant_name: str
    rollback_alarms: Sequence[cw.IAlarm]


class SageMakerOutputs(Protocol):
    endpoint: EndpointOutputs | None
    training_pipeline: Any  # None, or an object with .state_machine


class ApiOutputs(Protocol):
    api: Any  # apigateway.RestApi
    api_stage_name: str
    function: Any  # lambda_.Function
    metrics_namespace: str


class KnowledgeOutputs(Protocol):
    alarms: Sequence[cw.IAlarm]

    def dashboard_widgets(self) -> list[cw.IWidget]: ...
class EvaluationOutputs(Protocol):
    metrics_namespace: str

    def dashboard_widgets(self) -> list[cw.IWidget]: ...


AgentsOutputs = KnowledgeOutputs  # the agents stack offers the same: its alarms and its dashboard widgets


class ObservabilityStack(Stack):
    """Dashboard and alarms to the Alerting stack's topic (security alarms only on an existing trail's logs).

    Each input is optional so the stack composes whatever this environment deploys; a part that is absent
    (e.g. no Inferentia endpoint) simply has no dashboard row and no alarms.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        alarm_topic: AlarmTopic,
        bedrock: BedrockOutputs | None = None,
        sagemaker: SageMakerOutputs | None = None,
        api: ApiOutputs | None = None,
        knowledge: KnowledgeOutputs | None = None,
        evaluation: EvaluationOutputs | None = None,
        agents: AgentsOutputs | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        obs = config.observability
        action = alarm_topic.alarm_action
        thresholds = obs.alarms

        models = _bedrock_models(bedrock) if bedrock is not None else None
        guardrail = Guardrail(arn=bedrock.guardrail_arn, version=bedrock.guardrail_version) if bedrock else None
        endpoint_outputs = sagemaker.endpoint if sagemaker is not None else None
        endpoint = (InferenceEndpoint(endpoint_name=endpoint_outputs.endpoint_name,
                                      variant_name=endpoint_outputs.variant_name) if endpoint_outputs else None)
        pipeline_outputs = sagemaker.training_pipeline if sagemaker is not None else None
        pipeline = (TrainingPipeline(state_machine_arn=pipeline_outputs.state_machine.state_machine_arn)
                    if pipeline_outputs is not None else None)
        service = (ApiService(api_name=api.api.rest_api_name, stage_name=api.api_stage_name,
                              function_name=api.function.function_name) if api is not None else None)
        app = (AppMetrics(namespace=api.metrics_namespace, environment=config.name, service=api.service_name)
               if api is not None else None)

        # The daily budget reads the app's per-environment token total: every model call the API makes, on
        # Bedrock or the Inferentia endpoint, counts (an alarm cannot SEARCH the per-model series).
        token_budget = None
        if app is not None:
            token_budget = TokenBudget(
                tokens=obs.daily_token_budget,
                metrics=[app.environment_total("Tokens", statistic="Sum", period=Duration.days(1), label="Tokens")],
                source="input plus output tokens of every model call the API made in this environment",
            )

        self.service_alarms = ServiceAlarms(
            self, "ServiceAlarms", environment=config.name, action=action, thresholds=thresholds,
            api=service, bedrock=models, guardrail=guardrail, endpoint=endpoint, app=app, token_budget=token_budget,
        )
        # The SageMaker stack's deployment rollback alarms notify the same topic (the action is added here, in
        # the alarm's own stack, and points at the Alerting stack deployed before both: no cycle).
        for alarm in (endpoint_outputs.rollback_alarms if endpoint_outputs is not None else ()):
            alarm.add_alarm_action(action)

        # The account's trail and its security alarms live in the account stack (stacks/account_stack.py); an
        # environment whose account trail is someone else's may alarm on that trail's log group.
        self.security_alarms: TrailSecurityAlarms | None = None
        existing_trail_logs = obs.cloudtrail.existing_log_group_name
        if existing_trail_logs is not None:
            self.security_alarms = TrailSecurityAlarms(
                self, "SecurityAlarms", environment=config.name,
                log_group=logs.LogGroup.from_log_group_name(self, "ExistingTrailLogGroup", existing_trail_logs),
                metric_namespace=f"{config.project}-{config.name}/CloudTrail", action=action,
            )

        alarms: list[cw.IAlarm] = [*self.service_alarms.alarms]
        if self.security_alarms is not None:
            alarms += self.security_alarms.alarms
        if endpoint_outputs is not None:
            alarms += list(endpoint_outputs.rollback_alarms)
        if knowledge is not None:
            alarms += list(knowledge.alarms)  # they notify the topic from their own stack
        if agents is not None:
            alarms += list(agents.alarms)
        self.dashboard = OpsDashboard(
            self, "Dashboard", title=f"{config.project} {config.name}: operations",
            dashboard_name=config.stack_name("operations"), alarms=alarms, api=service, bedrock=models,
            guardrail=guardrail, app=app, token_budget_alarm=self.service_alarms.token_budget_alarm,
            endpoint=endpoint, pipeline=pipeline, period=Duration.minutes(thresholds.period_minutes),
        )
        if agents is not None:
            self.dashboard.add_section("Agents", "The agent's runs, steps, tool calls and failures, latency, tokens and "
                                       "estimated cost (its EMF metrics), and its alarms.",
                                       agents.dashboard_widgets())
        if knowledge is not None:
            self.dashboard.add_section("Knowledge bases", "Each knowledge base's latest ingestion job (published every "
                                       "15 minutes by the ingestion worker) and the sync queue.",
                                       knowledge.dashboard_widgets())
        if evaluation is not None:
            self.dashboard.add_section("Evaluation", "Each evaluation run's scores by use case x model (namespace "
                                       f"{evaluation.metrics_namespace}, dimensions Environment, UseCase, Model) and the runs' "
                                       "outcomes; reports in the evaluation bucket under runs/.",
                                       evaluation.dashboard_widgets())
        CfnOutput(self, "DashboardName", description="CloudWatch dashboard of this environment (CloudWatch > Dashboards)",
                  value=self.dashboard.dashboard.dashboard_name)


def _bedrock_models(bedrock: BedrockOutputs) -> BedrockModels:
    """Label each recorded ModelId with the application's model id, where the Bedrock stack gives one."""
    ids = bedrock.metric_model_ids
    if isinstance(ids, Mapping):
        return BedrockModels(dict(ids))
    ids = list(ids)
    labels = [d["id"] for d in bedrock.model_descriptors if d.get("backend") == "bedrock"]
    if len(labels) != len(ids):
        labels = [f"model {index + 1}" for index in range(len(ids))]
    return BedrockModels(dict(zip(labels, ids, strict=True)))
