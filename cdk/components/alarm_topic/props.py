"""Typed arguments of :class:`AlarmTopic` (CDK-free): which AWS services may publish to the topic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicPublisher:
    """An AWS service allowed to publish to the alarm topic, on behalf of this account's resources only.

    The topic policy allows ``sns:Publish`` to ``service_principal`` when ``aws:SourceAccount`` is this account
    and ``aws:SourceArn`` matches ``arn:<partition>:<arn_service>:<region or "">:<account>:<source_resource>``.
    The key policy lets the same principal use the topic's key (``kms:Decrypt``, ``kms:GenerateDataKey*``), with
    the same conditions when ``key_policy_source_conditions`` (False where AWS says the service's KMS request does
    not carry them: a condition the request lacks would drop every notification silently).
    """

    service_principal: str
    arn_service: str
    source_resource: str
    regional: bool = True
    key_policy_source_conditions: bool = True


# CloudWatch alarms (the stack's alarms). SNS Developer Guide, "Amazon SNS access policy use cases" /
# "Enable compatibility between event sources from AWS services and encrypted topics"
# (docs.aws.amazon.com/sns/latest/dg/sns-key-management.html): the service principal needs kms:Decrypt and
# kms:GenerateDataKey* on the topic's key; aws:SourceAccount / aws:SourceArn scope the grant to this account's
# alarms (alarm ARNs: arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>).
CLOUDWATCH_ALARMS = TopicPublisher("cloudwatch.amazonaws.com", "cloudwatch", "alarm:*")
# EventBridge rules that target the topic (none in this stack today). Rule ARNs: ...:events:<region>:<account>:rule/...
# The topic policy carries aws:SourceAccount / aws:SourceArn; the key policy does not (unverified here that the
# KMS request made for EventBridge delivery carries them, and a third-party AWS project notes it does not).
EVENTBRIDGE_RULES = TopicPublisher("events.amazonaws.com", "events", "rule/*", key_policy_source_conditions=False)
# AWS Budgets notifications. AWS Budgets User Guide, "Creating an Amazon SNS topic for budget notifications":
# aws:SourceAccount and aws:SourceArn arn:<partition>:budgets::<account>:* (budget ARNs have no region).
BUDGETS = TopicPublisher("budgets.amazonaws.com", "budgets", "*", regional=False)

DEFAULT_PUBLISHERS: tuple[TopicPublisher, ...] = (CLOUDWATCH_ALARMS,)
