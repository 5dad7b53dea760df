"""Where one environment's alarms go. Deployed first, so every other stack can notify it."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from constructs import Construct

from cdk.components.alarm_topic import AlarmTopic
from cdk.config import EnvironmentConfig


class AlertingStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.alarm_topic = AlarmTopic(
            self,
            "AlarmTopic",
            emails=config.observability.alarm_emails,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
