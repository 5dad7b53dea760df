"""CloudWatch Logs log groups encrypted with a customer-managed KMS key, with retention and removal policy."""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.components.customer_key import customer_managed_key

_RETENTION_DAYS = {
    1: logs.RetentionDays.ONE_DAY, 3: logs.RetentionDays.THREE_DAYS, 5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK, 14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS, 90: logs.RetentionDays.THREE_MONTHS, 120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS, 180: logs.RetentionDays.SIX_MONTHS, 365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS, 545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS, 1096: logs.RetentionDays.THREE_YEARS, 1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS, 2557: logs.RetentionDays.SEVEN_YEARS, 2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS, 3653: logs.RetentionDays.TEN_YEARS,
}


def retry_safe(removal_policy: RemovalPolicy) -> RemovalPolicy:
    """The removal policy for a log group: RETAIN becomes RETAIN_ON_UPDATE_OR_DELETE.

    A log group with a fixed name and ``DeletionPolicy: Retain`` outlives a rolled-back first create, and the
    retry then fails with "already exists". ``RETAIN_ON_UPDATE_OR_DELETE`` synthesizes CloudFormation's
    ``DeletionPolicy: RetainExceptOnCreate`` (plus ``UpdateReplacePolicy: Retain``): retained on stack delete
    and replacement like Retain, but deleted when the operation that created it rolls back, so a new, empty
    log group never blocks the retry. Verified in the installed aws-cdk-lib 2.275.0 (``RemovalPolicy``
    docstring) and CloudFormation's DeletionPolicy attribute reference ("RetainExceptOnCreate ... behaves
    like Retain ... except for the stack operation that initially created the resource").
    """
    return RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE if removal_policy == RemovalPolicy.RETAIN else removal_policy


def retention_days(days: int) -> logs.RetentionDays:
    """The ``RetentionDays`` member for a number of days CloudWatch Logs accepts."""
    try:
        return _RETENTION_DAYS[days]
    except KeyError:
        raise ValueError(f"CloudWatch Logs has no retention of {days} days; allowed: {sorted(_RETENTION_DAYS)}") from None


class LogsEncryptionKey(Construct):
    """A rotating KMS key that CloudWatch Logs may use for this account's log groups in this region.

    One key can encrypt several log groups (a function's logs, an API's access logs, WAF logs). The key
    policy lets the regional CloudWatch Logs service principal use it only for log groups of this
    account and region (``kms:EncryptionContext:aws:logs:arn``), as the CloudWatch Logs guide describes.

    Example::

        from aws_cdk import App, RemovalPolicy, Stack
        from aws_cdk import aws_logs as logs

        from cdk.components.encrypted_log_group import EncryptedLogGroup, LogsEncryptionKey

        app = App()
        stack = Stack(app, "Example")
        key = LogsEncryptionKey(stack, "LogsKey", removal_policy=RemovalPolicy.RETAIN)
        EncryptedLogGroup(stack, "AccessLogs", retention=logs.RetentionDays.ONE_YEAR, encryption_key=key.key)
    """

    def __init__(self, scope: Construct, construct_id: str, *, description: str = "Encrypts CloudWatch Logs log groups",
                 removal_policy: RemovalPolicy = RemovalPolicy.RETAIN) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.key = customer_managed_key(self, "Key", description=description, removal_policy=removal_policy)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccountAndRegion",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.{stack.url_suffix}")],
                actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],  # in a key policy, "*" means this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                            service="logs", resource="log-group", resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    }
                },
            )
        )


class EncryptedLogGroup(Construct):
    """A log group encrypted with a customer-managed key (its own, unless one is passed).

    A retained log group is retained on delete and replacement but not when its first create rolls back
    (:func:`retry_safe`), so a fixed ``log_group_name`` never blocks a retry.

    Example::

        from aws_cdk import App, RemovalPolicy, Stack
        from aws_cdk import aws_iam as iam
        from aws_cdk import aws_logs as logs

        from cdk.components.encrypted_log_group import EncryptedLogGroup

        app = App()
        stack = Stack(app, "Example")
        group = EncryptedLogGroup(stack, "Logs", retention=logs.RetentionDays.ONE_MONTH,
                                  removal_policy=RemovalPolicy.DESTROY)
        role = iam.Role(stack, "Writer", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        group.log_group.grant_write(role)
    """

    def __init__(self, scope: Construct, construct_id: str, *, retention: logs.RetentionDays,
                 removal_policy: RemovalPolicy = RemovalPolicy.RETAIN, encryption_key: kms.IKey | None = None,
                 log_group_name: str | None = None) -> None:
        super().__init__(scope, construct_id)
        if encryption_key is None:
            encryption_key = LogsEncryptionKey(self, "Encryption", removal_policy=removal_policy).key
        self.key = encryption_key
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            encryption_key=encryption_key,
            retention=retention,
            removal_policy=retry_safe(removal_policy),
            log_group_name=log_group_name,
        )
