"""Metric filters on a CloudTrail log group, and an alarm on each: the changes someone must look at."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_logs as logs
from constructs import Construct


@dataclass(frozen=True)
class SecurityEvent:
    construct_id: str
    metric_name: str
    pattern: str
    what_to_do: str


def _any_event(source: str, *names: str) -> str:
    alternatives = " || ".join(f'($.eventName = "{name}")' for name in names)
    return f'{{ ($.eventSource = "{source}") && ({alternatives}) }}'


# CIS AWS Foundations Benchmark "IAM policy changes" metric filter (CIS 4.4 / Security Hub CloudWatch.4), verbatim.
IAM_POLICY_CHANGES = (
    "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||"
    "($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||"
    "($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||"
    "($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||"
    "($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||"
    "($.eventName=DetachGroupPolicy)}"
)

SECURITY_EVENTS: tuple[SecurityEvent, ...] = (
    SecurityEvent(
        "IamPolicyChanges", "IamPolicyChanges", IAM_POLICY_CHANGES,
        "An IAM policy was created, changed, attached or detached in this account. Outside a deployment, find "
        "the event in CloudTrail (userIdentity, sourceIPAddress) and confirm the change was approved; revert "
        "it and rotate the caller's credentials if not.",
    ),
    SecurityEvent(
        "GuardrailChanges", "BedrockGuardrailChanges",
        _any_event("bedrock.amazonaws.com", "CreateGuardrail", "UpdateGuardrail", "DeleteGuardrail",
                   "CreateGuardrailVersion"),
        "A Bedrock guardrail was created, updated, deleted or versioned. The application's safety depends on "
        "its pinned guardrail version: outside a Bedrock stack deployment, find the event in CloudTrail, "
        "check who made it, and compare the guardrail's policies with the version in the code.",
    ),
    SecurityEvent(
        "InvocationLoggingChanges", "BedrockInvocationLoggingChanges",
        _any_event("bedrock.amazonaws.com", "PutModelInvocationLoggingConfiguration",
                   "DeleteModelInvocationLoggingConfiguration"),
        "Bedrock model invocation logging was reconfigured or switched off, so prompts and responses may no "
        "longer be recorded for audit. Outside a deployment, find the event in CloudTrail and restore the "
        "logging configuration from the Bedrock stack.",
    ),
    SecurityEvent(
        "CloudTrailChanges", "CloudTrailChanges",
        _any_event("cloudtrail.amazonaws.com", "StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"),
        "A CloudTrail trail was stopped, deleted, reconfigured or had its event selectors changed: the audit "
        "record may have a gap. Find the event (it is the last one that trail recorded), restart logging "
        "(StartLogging) or redeploy the Observability stack, and treat it as a security incident if unplanned.",
    ),
)


class TrailSecurityAlarms(Construct):
    """One metric filter and one alarm per :data:`SECURITY_EVENTS` entry on a CloudTrail log group.

    The log group can be this environment's trail's or an existing one (an organization trail's), imported
    by name. A matching event counts 1; no event publishes nothing, so missing data is NOT_BREACHING and a
    single event in a 5-minute period raises the alarm.

    Example::

        from aws_cdk import App, RemovalPolicy, Stack

        from cdk.components.alarm_topic import AlarmTopic
        from cdk.components.audit_trail import AuditTrail, TrailRetention
        from cdk.components.trail_security_alarms import TrailSecurityAlarms

        app = App()
        stack = Stack(app, "Example")
        trail = AuditTrail(stack, "Trail", trail_name="example-trail", retention=TrailRetention(),
                           removal_policy=RemovalPolicy.DESTROY)
        topic = AlarmTopic(stack, "Topic", removal_policy=RemovalPolicy.DESTROY)
        TrailSecurityAlarms(stack, "SecurityAlarms", environment="dev", log_group=trail.log_group,
                            metric_namespace="genai-dev/CloudTrail", action=topic.alarm_action)
    """

    def __init__(self, scope: Construct, construct_id: str, *, environment: str, log_group: logs.ILogGroup,
                 metric_namespace: str, action: cw.IAlarmAction) -> None:
        super().__init__(scope, construct_id)
        self.metric_filters: dict[str, logs.MetricFilter] = {}
        self.alarms: list[cw.Alarm] = []
        for event in SECURITY_EVENTS:
            metric_filter = logs.MetricFilter(
                self, f"{event.construct_id}Filter",
                log_group=log_group,
                filter_pattern=logs.FilterPattern.literal(event.pattern),
                metric_namespace=metric_namespace,
                metric_name=event.metric_name,
                metric_value="1",
            )
            self.metric_filters[event.metric_name] = metric_filter
            alarm = cw.Alarm(
                self, event.construct_id,
                metric=metric_filter.metric(statistic="Sum", period=Duration.minutes(5)),
                threshold=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                alarm_description=f"[{environment}] {event.what_to_do}",
            )
            alarm.add_alarm_action(action)
            self.alarms.append(alarm)
