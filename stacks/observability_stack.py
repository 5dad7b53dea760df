"""One environment's operations view and audit trail: dashboard, service alarms, CloudTrail, security alarms.

Deployed last: it only reads what the other stacks expose (names, ARNs, the model ids CloudWatch records),
so nothing depends on it and removing it never blocks another stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.components.alarm_topic import AlarmTopic
from cdk.components.audit_trail import AuditTrail, TrailRetention
from cdk.components.encrypted_log_group import retention_days
from cdk.components.ops_dashboard import OpsDashboard
from cdk.components.service_alarms import ServiceAlarms, TokenBudget
from cdk.components.service_metrics import (
    ApiService,
    AppMetrics,
    BedrockModels,
    Guardrail,
    InferenceEndpoint,
    TrainingPipeline,
)
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


class ObservabilityStack(Stack):
    """Dashboard, alarms to the Alerting stack's topic, CloudTrail and its security alarms.

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
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        obs = config.observability
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
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

        self.trail: AuditTrail | None = None
        self.security_alarms: TrailSecurityAlarms | None = None
        trail_config = obs.cloudtrail
        trail_log_group: logs.ILogGroup | None = None
        # The trail is an account-level singleton: only the owner of this account and region creates it (and its
        # security alarms, which would otherwise fire once per environment).
        if trail_config.creates_trail and config.owns_account_singletons:
            self.trail = AuditTrail(
                self, "AuditTrail", trail_name=config.stack_name("trail"), removal_policy=removal,
                retention=TrailRetention(
                    log_group_days=retention_days(trail_config.log_retention_days),
                    infrequent_access_after=Duration.days(trail_config.transition_to_infrequent_access_days),
                    glacier_instant_retrieval_after=Duration.days(trail_config.transition_to_glacier_days),
                    expire_after=Duration.days(trail_config.expiration_days),
                    noncurrent_versions_expire_after=Duration.days(trail_config.noncurrent_version_expiration_days),
                ),
            )
            trail_log_group = self.trail.log_group
        elif trail_config.existing_log_group_name is not None:
            trail_log_group = logs.LogGroup.from_log_group_name(self, "ExistingTrailLogGroup",
                                                                trail_config.existing_log_group_name)
        if trail_log_group is not None:
            self.security_alarms = TrailSecurityAlarms(
                self, "SecurityAlarms", environment=config.name, log_group=trail_log_group,
                metric_namespace=f"{config.project}-{config.name}/CloudTrail", action=action,
            )

        alarms: list[cw.IAlarm] = [*self.service_alarms.alarms]
        if self.security_alarms is not None:
            alarms += self.security_alarms.alarms
        if endpoint_outputs is not None:
            alarms += list(endpoint_outputs.rollback_alarms)
        if knowledge is not None:
            alarms += list(knowledge.alarms)  # they notify the topic from their own stack
        self.dashboard = OpsDashboard(
            self, "Dashboard", title=f"{config.project} {config.name}: operations",
            dashboard_name=config.stack_name("operations"), alarms=alarms, api=service, bedrock=models,
            guardrail=guardrail, app=app, token_budget_alarm=self.service_alarms.token_budget_alarm,
            endpoint=endpoint, pipeline=pipeline, period=Duration.minutes(thresholds.period_minutes),
        )
        if knowledge is not None:
            self.dashboard.add_section("Knowledge bases", "Each knowledge base's latest ingestion job (published every "
                                       "15 minutes by the ingestion worker) and the sync queue.",
                                       knowledge.dashboard_widgets())
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
