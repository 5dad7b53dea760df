"""The shared bucket component behaves the same in any host app: it reads no context or feature flag."""

from aws_cdk import App, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from cdk.components.secure_bucket import AccessLogsBucket, SecureBucket


def test_access_logs_are_delivered_by_bucket_policy_in_an_app_without_the_feature_flag():
    app = App()  # no @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy context
    stack = Stack(app, "Bare")
    logs = AccessLogsBucket(stack, "Logs", removal_policy=RemovalPolicy.RETAIN).bucket
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    SecureBucket(stack, "Data", encryption_key=key, access_logs_bucket=logs, removal_policy=RemovalPolicy.RETAIN,
                 replication_reason="test data, re-created by every test run")
    template = Template.from_stack(stack)

    buckets = template.find_resources("AWS::S3::Bucket")
    assert all(
        b["Properties"]["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        for b in buckets.values()
    )
    assert not any("AccessControl" in b["Properties"] for b in buckets.values())  # no LogDeliveryWrite ACL
    template.has_resource_properties("AWS::S3::BucketPolicy", {
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Action": "s3:PutObject",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
        })])},
    })
