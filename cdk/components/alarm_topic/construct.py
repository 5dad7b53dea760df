"""An encrypted SNS topic that alarms notify (or an existing topic), with e-mail subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from cdk.components.alarm_topic.props import DEFAULT_PUBLISHERS, TopicPublisher
from cdk.components.customer_key import customer_managed_key


class AlarmTopic(Construct):
    """SNS topic for alarms, encrypted with its own customer-managed KMS key, or an existing topic.

    A topic policy replaces SNS's default policy, so it must name every publisher: each of ``publishers``
    (CloudWatch alarms by default) may ``sns:Publish`` and use the key, only for resources of this account
    (``aws:SourceAccount`` / ``aws:SourceArn``); adding a publisher is one more :class:`TopicPublisher`.
    Every e-mail address gets a subscription (SNS mails a confirmation link first).

    With ``existing_topic_arn`` nothing is created but the subscriptions: the owner of that topic keeps its
    policy and key policy, which must let the publishers in (see the README).

    Example::

        from aws_cdk import App, RemovalPolicy, Stack
        from aws_cdk import aws_cloudwatch as cw

        from cdk.components.alarm_topic import AlarmTopic

        app = App()
        stack = Stack(app, "Example")
        topic = AlarmTopic(stack, "Alarms", emails=["oncall@example.com"], removal_policy=RemovalPolicy.RETAIN)
        errors = cw.Alarm(stack, "Errors", metric=cw.Metric(namespace="Example", metric_name="Errors"),
                          threshold=1, evaluation_periods=1)
        errors.add_alarm_action(topic.alarm_action)
    """

    def __init__(self, scope: Construct, construct_id: str, *, emails: Sequence[str] = (),
                 publishers: Sequence[TopicPublisher] = DEFAULT_PUBLISHERS, existing_topic_arn: str | None = None,
                 removal_policy: RemovalPolicy = RemovalPolicy.RETAIN) -> None:
        super().__init__(scope, construct_id)
        self.key: kms.IKey | None = None
        if existing_topic_arn is not None:
            self.topic: sns.ITopic = sns.Topic.from_topic_arn(self, "Topic", existing_topic_arn)
        else:
            key = customer_managed_key(self, "Key", description="Encrypts the alarm notification topic",
                                       removal_policy=removal_policy)
            topic = sns.Topic(self, "Topic", master_key=key, enforce_ssl=True)
            for publisher in dict.fromkeys(publishers):
                self._allow(publisher, topic, key)
            self.key, self.topic = key, topic
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        #: Whether anyone hears an alarm: e-mail subscribers here, or whoever the existing topic already reaches.
        self.has_subscribers = bool(emails) or existing_topic_arn is not None
        self.alarm_action = cw_actions.SnsAction(self.topic)

    def _allow(self, publisher: TopicPublisher, topic: sns.Topic, key: kms.Key) -> None:
        stack = Stack.of(self)
        principal = iam.ServicePrincipal(publisher.service_principal)
        source = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": stack.format_arn(service=publisher.arn_service,
                                                          region=None if publisher.regional else "",
                                                          resource=publisher.source_resource)},
        }
        topic.add_to_resource_policy(iam.PolicyStatement(
            sid=f"Publish{publisher.arn_service.title()}", principals=[principal], actions=["sns:Publish"],
            resources=[topic.topic_arn], conditions=source,
        ))
        # SNS encrypts what a service publishes with the topic's key, as that service: without this grant
        # the publish fails and the alarm reaches no one.
        key.add_to_resource_policy(iam.PolicyStatement(
            sid=f"Publish{publisher.arn_service.title()}ToTopic", principals=[principal],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],  # in a key policy, "*" means this key
            conditions=source if publisher.key_policy_source_conditions else None,
        ))
