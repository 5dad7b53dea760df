"""Where one environment's alarms go. Deployed first, so every other stack can notify it."""

from __future__ import annotations

from aws_cdk import Annotations, RemovalPolicy, Stack
from constructs import Construct

from cdk.components.alarm_topic import AlarmTopic
from cdk.config import EnvironmentConfig
from cdk.policy import acknowledge

NO_SUBSCRIBER_WARNING = "genai:alarms:no-subscriber"


class AlertingStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        observability = config.observability
        self.alarm_topic = AlarmTopic(
            self,
            "AlarmTopic",
            emails=observability.alarm_emails,
            existing_topic_arn=observability.alarm_topic_arn,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        if config.retain_data and not self.alarm_topic.has_subscribers:
            Annotations.of(self).add_warning_v2(
                NO_SUBSCRIBER_WARNING,
                f"environments.{config.name}.observability has neither alarm_emails nor alarm_topic_arn: this "
                "environment keeps its data, yet its alarms notify a topic nobody subscribes to. Set one of them "
                "(README, 'Alarm notifications').",
            )
            if observability.no_alarm_subscriber_reason:
                # The warning still prints at every synth; the policy gates let it pass for the stated reason.
                acknowledge(self, f"Annotation::{NO_SUBSCRIBER_WARNING}", observability.no_alarm_subscriber_reason)
