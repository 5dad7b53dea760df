"""A CloudTrail trail with everything an auditor asks for: encrypted, validated, retained, queryable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsii
from aws_cdk import Duration, IResolvable, IResolveContext, RemovalPolicy, Stack
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.components.customer_key import customer_managed_key
from cdk.components.encrypted_log_group import retry_safe
from cdk.components.secure_bucket import AccessLogsBucket, SecureBucket, tidy_auto_delete_provider
from cdk.policy import acknowledge

_30_DAYS, _90_DAYS, _1_YEAR = Duration.days(30), Duration.days(90), Duration.days(365)


@dataclass(frozen=True)
class TrailRetention:
    """How long the trail's records are kept, and when the log files move to cheaper storage."""

    log_group_days: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    infrequent_access_after: Duration = _30_DAYS
    glacier_instant_retrieval_after: Duration = _90_DAYS
    expire_after: Duration = _1_YEAR
    noncurrent_versions_expire_after: Duration = _30_DAYS


class AuditTrail(Construct):
    """A multi-region CloudTrail trail delivering to S3 and to a CloudWatch Logs log group.

    - Log file integrity validation on; global service events (IAM, STS) included.
    - One customer-managed KMS key (rotated) encrypts the log files, the bucket and the log group. Its key
      policy lets CloudTrail use it only for this trail (``aws:SourceArn``) and only with a CloudTrail
      encryption context of this account, and lets CloudWatch Logs use it only for this log group.
    - The bucket: public access blocked, TLS only, versioned, owner-enforced, SSE-KMS with a bucket key,
      lifecycle to Standard-IA then Glacier Instant Retrieval, expiry; server access logs go to a second
      bucket (SSE-S3, because S3 server access logging cannot deliver to an SSE-KMS bucket).
    - The trail's ARN is known before the trail exists (its name is given), so the key and bucket policies
      can name it without a dependency cycle.

    Cost: a trail's first copy of management events is free; each additional trail in the same account
    and region (e.g. two environments sharing an account) is billed per 100,000 events delivered, plus
    S3, CloudWatch Logs ingestion and KMS requests.

    Example::

        from aws_cdk import App, RemovalPolicy, Stack

        from cdk.components.audit_trail import AuditTrail, TrailRetention

        app = App()
        stack = Stack(app, "Example")
        trail = AuditTrail(stack, "Trail", trail_name="example-trail", retention=TrailRetention(),
                           removal_policy=RemovalPolicy.DESTROY)
        security_logs = trail.log_group  # for metric filters
    """

    def __init__(self, scope: Construct, construct_id: str, *, trail_name: str, retention: TrailRetention,
                 removal_policy: RemovalPolicy = RemovalPolicy.RETAIN) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        partition, region, account = stack.partition, stack.region, stack.account
        self.trail_arn = f"arn:{partition}:cloudtrail:{region}:{account}:trail/{trail_name}"
        any_trail_of_this_account = f"arn:{partition}:cloudtrail:*:{account}:trail/*"
        log_group_name = f"/cloudtrail/{trail_name}"
        log_group_arn = f"arn:{partition}:logs:{region}:{account}:log-group:{log_group_name}"

        self.key = customer_managed_key(
            self, "Key", description=f"Encrypts CloudTrail trail {trail_name}: log files, bucket, log group",
            removal_policy=removal_policy)
        cloudtrail_principal = iam.ServicePrincipal("cloudtrail.amazonaws.com")
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudTrailEncryptsThisTrailsLogs",
            principals=[cloudtrail_principal],
            actions=["kms:GenerateDataKey*"],
            resources=["*"],  # in a key policy, "*" means this key
            conditions={
                "StringEquals": {"aws:SourceArn": self.trail_arn},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": any_trail_of_this_account},
            },
        ))
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudTrailDescribesTheKey",
            principals=[cloudtrail_principal],
            actions=["kms:DescribeKey"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceArn": self.trail_arn}},
        ))
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudWatchLogsEncryptsTheTrailLogGroup",
            principals=[iam.ServicePrincipal(f"logs.{region}.{stack.url_suffix}")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            resources=["*"],
            conditions={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
        ))

        self.access_logs_bucket = AccessLogsBucket(
            self, "AccessLogs", removal_policy=removal_policy,
            expiration_days=int(retention.expire_after.to_days())).bucket
        self.bucket = SecureBucket(
            self, "Bucket",
            encryption_key=self.key,
            access_logs_bucket=self.access_logs_bucket,
            access_logs_prefix="trail-bucket/",
            removal_policy=removal_policy,
            replication_reason="The trail is multi-region with log file validation; a second copy in another region "
                               "is the organization's log archive account's job (an organization trail), not each "
                               "environment's.",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="CheaperStorageThenExpire",
                    transitions=[
                        s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                                      transition_after=retention.infrequent_access_after),
                        s3.Transition(storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                                      transition_after=retention.glacier_instant_retrieval_after),
                    ],
                    expiration=retention.expire_after,
                    noncurrent_version_expiration=retention.noncurrent_versions_expire_after,
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
            ],
        ).bucket
        # The L2 Trail grants CloudTrail s3:GetBucketAcl and s3:PutObject without aws:SourceArn (see the end of
        # __init__, which adds it to those grants); this deny also refuses any other trail the use of this bucket.
        self.bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="OnlyThisTrailDelivers",
            effect=iam.Effect.DENY,
            principals=[cloudtrail_principal],
            actions=["s3:GetBucketAcl", "s3:PutObject"],
            resources=[self.bucket.bucket_arn, self.bucket.arn_for_objects("*")],
            conditions={"StringNotEquals": {"aws:SourceArn": self.trail_arn}},
        ))

        self.log_group = logs.LogGroup(
            self, "LogGroup",
            log_group_name=log_group_name,
            encryption_key=self.key,
            retention=retention.log_group_days,
            removal_policy=retry_safe(removal_policy),  # named: a rolled-back create must not block the retry
        )
        self.trail = cloudtrail.Trail(
            self, "Trail",
            trail_name=trail_name,
            bucket=self.bucket,
            encryption_key=self.key,
            send_to_cloud_watch_logs=True,
            cloud_watch_log_group=self.log_group,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_file_validation=True,
            management_events=cloudtrail.ReadWriteType.ALL,
        )
        self._drop_redundant_depends_on(stack)
        # Confused deputy: CloudTrail's "Amazon S3 bucket policy for CloudTrail" puts aws:SourceArn (the trail's
        # ARN) on both the GetBucketAcl and the PutObject grant. The L2 adds them without it and offers no hook,
        # so the bucket policy document is rewritten lazily, after every statement is in (escape hatch).
        # The CloudWatch Logs delivery role gets no condition: CloudTrail's "Role policy document for CloudTrail
        # to use CloudWatch Logs" says that role does not support aws:SourceArn or aws:SourceAccount.
        self.bucket.policy.node.default_child.add_property_override(
            "PolicyDocument", _WithSourceArn(stack, self.bucket.policy.document, "cloudtrail.amazonaws.com",
                                             self.trail_arn))
        acknowledge(self.trail.node.find_child("LogsRole"), "NIST.800.53.R5-IAMNoInlinePolicy",
                    "The CloudTrail L2 creates its CloudWatch Logs delivery role itself (no role can be passed in) with "
                    "one inline statement: logs:CreateLogStream and logs:PutLogEvents on this trail's log group only.")

    def _drop_redundant_depends_on(self, stack: Stack) -> None:
        """cfn-lint W3005: DependsOn entries that a GetAtt already enforces. Escape hatches, because the L2s
        add them: the trail keeps its DependsOn on the two policies (which no GetAtt covers) but not on the
        delivery role, and the auto-delete provider's handler drops its DependsOn on its own role."""
        cfn_trail = self.trail.node.default_child
        role_policy = self.trail.node.find_child("LogsRole").node.find_child("DefaultPolicy").node.default_child
        cfn_trail.add_override("DependsOn", [stack.get_logical_id(self.bucket.policy.node.default_child),
                                             stack.get_logical_id(role_policy)])
        tidy_auto_delete_provider(stack)


@jsii.implements(IResolvable)
class _WithSourceArn:
    """A policy document whose Allow statements to one service principal also require ``aws:SourceArn``."""

    def __init__(self, stack: Stack, document: iam.PolicyDocument, service: str, source_arn: str) -> None:
        self._stack, self._document, self._service, self._source_arn = stack, document, service, source_arn

    @property
    def creation_stack(self) -> list[str]:
        return []

    def to_string(self) -> str:
        return "<bucket policy with aws:SourceArn>"

    def resolve(self, context: IResolveContext) -> Any:
        resolved = self._stack.resolve(self._document)
        for statement in resolved["Statement"]:
            if statement["Effect"] == "Allow" and statement.get("Principal") == {"Service": self._service}:
                statement.setdefault("Condition", {}).setdefault("StringEquals", {})["aws:SourceArn"] = self._source_arn
        return resolved
