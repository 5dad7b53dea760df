"""S3 buckets for data: SSE-KMS with a customer-managed key, SSL/TLS 1.2 only, public access blocked, bucket owner
enforced, versioned, server access logs, a lifecycle; and the SSE-S3 bucket those access logs go to."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.policy import acknowledge

#: The aws-cdk-lib flag that makes Bucket.allowLogDelivery write a bucket policy instead of an ACL.
_LOG_DELIVERY_BY_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"


def _auto_delete(removal_policy: RemovalPolicy) -> bool:
    """Buckets that go with their stack are emptied first (else CloudFormation cannot delete them)."""
    return removal_policy == RemovalPolicy.DESTROY


def tidy_auto_delete_provider(scope: Construct) -> None:
    """The emptying function's handler gets a DependsOn on its role that its Role GetAtt already implies
    (cfn-lint W3005); the provider is a stack singleton, so drop it once it exists."""
    provider = Stack.of(scope).node.try_find_child("Custom::S3AutoDeleteObjectsCustomResourceProvider")
    if provider is not None:
        provider.node.find_child("Handler").add_deletion_override("DependsOn")


class AccessLogsBucket(Construct):
    """The destination of S3 server access logs (SSE-S3, because log delivery cannot write to SSE-KMS buckets).

    Example::

        from aws_cdk import App, RemovalPolicy, Stack

        from cdk.components.secure_bucket import AccessLogsBucket

        app = App()
        stack = Stack(app, "Example")
        logs_bucket = AccessLogsBucket(stack, "AccessLogs", removal_policy=RemovalPolicy.RETAIN).bucket
    """

    def __init__(self, scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy,
                 expiration_days: int = 365, cloudfront_logs: bool = False) -> None:
        """``cloudfront_logs``: CloudFront standard logging (legacy) delivers here too. It writes with an ACL grant
        (the awslogsdelivery account), so the bucket keeps ACLs enabled (object ownership BucketOwnerPreferred):
        CloudFront Developer Guide, "Configure standard logging (legacy)", bucket permissions."""
        super().__init__(scope, construct_id)
        # Log delivery is always granted by bucket policy (principal logging.s3.amazonaws.com, with
        # aws:SourceArn/aws:SourceAccount), never by the LogDeliveryWrite ACL that an owner-enforced bucket
        # refuses. CDK's Bucket.allowLogDelivery picks the form from this flag, read on the destination
        # bucket's scope (checked in aws-cdk-lib 2.275.0 aws-s3/lib/bucket.js): the component states it for
        # its own subtree, set before any child exists, so the host app's flags do not change it.
        self.node.set_context(_LOG_DELIVERY_BY_BUCKET_POLICY, True)
        self.bucket = s3.Bucket(
            self, "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=(s3.ObjectOwnership.BUCKET_OWNER_PREFERRED if cloudfront_logs
                              else s3.ObjectOwnership.BUCKET_OWNER_ENFORCED),
            versioned=True,
            lifecycle_rules=[s3.LifecycleRule(id="ExpireAccessLogs", expiration=Duration.days(expiration_days),
                                              noncurrent_version_expiration=Duration.days(1),
                                              abort_incomplete_multipart_upload_after=Duration.days(1))],
            removal_policy=removal_policy,
            auto_delete_objects=_auto_delete(removal_policy),
        )
        tidy_auto_delete_provider(self)
        for rule, reason in (
            ("AwsSolutions-S1", "This bucket is the server access log destination; logging it would log into itself "
                                "or need a third bucket with the same problem."),
            ("NIST.800.53.R5-S3BucketLoggingEnabled", "This bucket is the server access log destination; it cannot "
                                                      "usefully log to itself."),
            ("NIST.800.53.R5-S3DefaultEncryptionKMS", "S3 server access logging delivers only to buckets encrypted "
                                                      "with SSE-S3 (SSE-KMS destinations are not supported)."),
            ("NIST.800.53.R5-S3BucketReplicationEnabled", "Server access logs are operational data kept for a year; "
                                                          "cross-region replication of them is not required."),
        ):
            acknowledge(self.bucket, rule, reason)


class SecureBucket(Construct):
    """A data bucket: SSE-KMS (bucket key), SSL and TLS 1.2 only, no public access, versioned, access-logged.

    ``replication_reason`` says why the bucket is not replicated to another region (NIST 800-53 rev 5 asks for
    replication); it is acknowledged on this bucket only. Without ``encryption_key`` the bucket is SSE-S3, and
    ``no_kms_reason`` says why (e.g. files served to the public through CloudFront).

    Example::

        from aws_cdk import App, RemovalPolicy, Stack
        from aws_cdk import aws_kms as kms

        from cdk.components.secure_bucket import AccessLogsBucket, SecureBucket

        app = App()
        stack = Stack(app, "Example")
        key = kms.Key(stack, "DataKey", enable_key_rotation=True)
        logs_bucket = AccessLogsBucket(stack, "AccessLogs", removal_policy=RemovalPolicy.RETAIN).bucket
        data = SecureBucket(stack, "Data", encryption_key=key, access_logs_bucket=logs_bucket,
                            removal_policy=RemovalPolicy.RETAIN,
                            replication_reason="training datasets are re-creatable from their sources").bucket
    """

    def __init__(self, scope: Construct, construct_id: str, *, encryption_key: kms.IKey | None,
                 access_logs_bucket: s3.IBucket, removal_policy: RemovalPolicy, replication_reason: str,
                 lifecycle_rules: Sequence[s3.LifecycleRule] = (), access_logs_prefix: str | None = None,
                 no_kms_reason: str | None = None) -> None:
        super().__init__(scope, construct_id)
        if (encryption_key is None) != (no_kms_reason is not None):
            raise ValueError("give either encryption_key or no_kms_reason (why the bucket is SSE-S3)")
        self.bucket = s3.Bucket(
            self, "Bucket",
            encryption=s3.BucketEncryption.KMS if encryption_key is not None else s3.BucketEncryption.S3_MANAGED,
            encryption_key=encryption_key,
            bucket_key_enabled=True if encryption_key is not None else None,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=access_logs_bucket,
            server_access_logs_prefix=access_logs_prefix or f"{self.node.path.replace('/', '-')}/",
            lifecycle_rules=list(lifecycle_rules) or None,
            removal_policy=removal_policy,
            auto_delete_objects=_auto_delete(removal_policy),
        )
        tidy_auto_delete_provider(self)
        acknowledge(self.bucket, "NIST.800.53.R5-S3BucketReplicationEnabled", replication_reason)
        if no_kms_reason is not None:
            acknowledge(self.bucket, "NIST.800.53.R5-S3DefaultEncryptionKMS", no_kms_reason)
