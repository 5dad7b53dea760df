"""An encrypted SNS topic that alarms notify, with e-mail subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class AlarmTopic(Construct):
    """SNS topic for alarms, encrypted with its own customer-managed KMS key.

    CloudWatch alarms publish to it (the key policy lets the CloudWatch service use the key), and
    every e-mail address gets a subscription.

    Example::

        topic = AlarmTopic(stack, "Alarms", emails=["oncall@example.com"], removal_policy=RemovalPolicy.RETAIN)
        my_alarm.add_alarm_action(topic.alarm_action)
    """

    def __init__(self, scope: Construct, construct_id: str, *, emails: Sequence[str] = (),
                 removal_policy: RemovalPolicy = RemovalPolicy.RETAIN) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts the alarm notification topic",
            enable_key_rotation=True,
            removal_policy=removal_policy,
            pending_window=Duration.days(30),
        )
        # CloudWatch alarms publish to an encrypted topic only if the service may use the key.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" means this key
            )
        )
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True)
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self.alarm_action = cw_actions.SnsAction(self.topic)
