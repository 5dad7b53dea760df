"""Where one environment's alarms go (deployed first, so every other stack can notify it), and the environment's
monthly cost budget, which notifies the same topic."""

from __future__ import annotations

from aws_cdk import Annotations, RemovalPolicy, Stack
from constructs import Construct

from cdk.components.alarm_topic import BUDGETS, CLOUDWATCH_ALARMS, AlarmTopic
from cdk.components.cost_budget import CostBudget
from cdk.config import EnvironmentConfig
from cdk.policy import acknowledge

NO_SUBSCRIBER_WARNING = "genai:alarms:no-subscriber"


def needs_subscriber(config: EnvironmentConfig) -> bool:
    """Whether a topic nobody hears is a warning: the environment keeps its data, or its budget notifies the topic
    (a budget whose notifications reach no one is a cost guard that never fires)."""
    return config.retain_data or config.budget is not None


class AlertingStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        observability = config.observability
        self.alarm_topic = AlarmTopic(
            self,
            "AlarmTopic",
            emails=observability.alarm_emails,
            # The budget notifies the same topic, so budgets.amazonaws.com joins its publishers.
            publishers=(CLOUDWATCH_ALARMS, BUDGETS) if config.budget is not None else (CLOUDWATCH_ALARMS,),
            existing_topic_arn=observability.alarm_topic_arn,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        if needs_subscriber(config) and not self.alarm_topic.has_subscribers:
            why = " and ".join(part for part, applies in (("this environment keeps its data", config.retain_data),
                                                          ("its cost budget notifies it", config.budget is not None))
                               if applies)
            Annotations.of(self).add_warning_v2(
                NO_SUBSCRIBER_WARNING,
                f"environments.{config.name}.observability has neither alarm_emails nor alarm_topic_arn: "
                f"{why}, yet its alarms notify a topic nobody subscribes to. Set one of them "
                "(README: observability.alarm_emails, alarm_topic_arn).",
            )
            if observability.no_alarm_subscriber_reason:
                # The warning still prints at every synth; the policy gates let it pass for the stated reason.
                acknowledge(self, f"Annotation::{NO_SUBSCRIBER_WARNING}", observability.no_alarm_subscriber_reason)
        if config.budget is not None:
            CostBudget(self, "CostBudget", props=config.budget, topic=self.alarm_topic.topic)
