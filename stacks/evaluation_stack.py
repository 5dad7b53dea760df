"""The evaluation of one environment (issue 15): the evaluation state machine against this environment's
orchestrator function, its KMS-encrypted report bucket and, where configured, the Bedrock judge."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk.components.encrypted_log_group import retention_days
from cdk.components.evaluation_pipeline import EvaluationPipeline
from cdk.config import EnvironmentConfig


class EvaluationStack(Stack):
    """Exposes ``pipeline`` (:class:`EvaluationPipeline`: ``bucket``, ``state_machine``, ``metric``),
    ``metrics_namespace`` and :meth:`dashboard_widgets` (the observability stack's Evaluation section)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig,
                 orchestrator: lambda_.IFunction, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        props = config.evaluation.pipeline
        if props is None:
            raise ValueError(f"environments.{config.name}.evaluation.enabled is false: no evaluation stack")
        self.pipeline = EvaluationPipeline(
            self, "Evaluation", props=props, orchestrator=orchestrator, environment_name=config.name,
            log_retention=retention_days(config.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        self.metrics_namespace = self.pipeline.metrics_namespace
        self.dashboard_widgets = self.pipeline.dashboard_widgets
        CfnOutput(self, "ReportBucket", value=self.pipeline.bucket.bucket_name,
                  description="Evaluation datasets (datasets/), reports (runs/<execution>/) and the last accepted report")
        CfnOutput(self, "StateMachineArn", value=self.pipeline.state_machine.state_machine_arn,
                  description='Start with {"dataset_key": "datasets/<file>.jsonl"} after uploading the dataset')
