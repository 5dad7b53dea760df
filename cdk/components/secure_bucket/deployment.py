"""Acknowledgements for ``aws_s3_deployment.BucketDeployment``, whose provider function, role and grants are built
by aws-cdk-lib (not ours to change); shared by every stack that deploys files into one of these buckets."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Stack, Token
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment

from cdk.policy import acknowledge

# What aws-s3-deployment grants its provider on the destination (Bucket.grantReadWrite, plus the key's actions when
# the bucket is SSE-KMS) and the asset bucket (grantRead): wildcard actions of aws-cdk-lib's own grants.
_DESTINATION_ACTIONS = ("s3:Abort*", "s3:DeleteObject*", "s3:GetBucket*", "s3:GetObject*", "s3:List*")
_KEY_ACTIONS = ("kms:GenerateDataKey*", "kms:ReEncrypt*")


def acknowledge_bucket_deployment(deployment: s3_deployment.BucketDeployment, *, destination: s3.IBucket,
                                  purpose: str, extra_findings: Iterable[str] = ()) -> None:
    """Acknowledge what aws-s3-deployment builds for ``deployment`` (``purpose``: what it copies, for the reasons).

    ``extra_findings``: further AwsSolutions-IAM5 findings of the provider's grants (e.g. CloudFront invalidation,
    which IAM cannot scope below ``*``)."""
    provider = deployment.handler_role.node.scope
    stack = Stack.of(deployment)
    # Its function's DependsOn on its role repeats what the function's GetAtt of the role ARN orders (cfn-lint
    # W3005): keep only the policy.
    policy = deployment.handler_role.node.find_child("DefaultPolicy").node.default_child
    provider.node.default_child.add_override("DependsOn", [stack.get_logical_id(policy)])
    for rule in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
        acknowledge(provider, rule, "aws-cdk-lib fixes the runtime of the BucketDeployment provider function")
    for rule in ("Serverless-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ", "NIST.800.53.R5-LambdaConcurrency",
                 "NIST.800.53.R5-LambdaInsideVPC", "Serverless-LambdaTracing"):
        acknowledge(provider, rule, "the BucketDeployment provider is a CloudFormation custom resource invoked only "
                                    f"by deployments, which report its failures; it copies {purpose} to S3")
    acknowledge(deployment.handler_role, "NIST.800.53.R5-IAMNoInlinePolicy",
                "aws-s3-deployment puts its provider's grants in the role's inline default policy")
    acknowledge(deployment.handler_role, "AwsSolutions-IAM4",
                "aws-s3-deployment attaches AWSLambdaBasicExecutionRole to its provider's role",
                findings=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"])
    bucket = destination.node.default_child
    acknowledge(deployment.handler_role, "AwsSolutions-IAM5",
                "aws-s3-deployment grants its provider read on the CDK asset bucket and read/write on the destination "
                f"(with the destination key): it copies the whole asset ({purpose}) and prunes what it removed",
                findings=[*(f"Action::{action}" for action in (*_KEY_ACTIONS, *_DESTINATION_ACTIONS)),
                          f"Resource::<{stack.get_logical_id(bucket)}.Arn>/*",
                          f"Resource::{_asset_objects(stack)}",
                          *extra_findings])


def _asset_objects(stack: Stack) -> str:
    """The CDK asset bucket's objects as cdk-nag names them (a region-agnostic stack has no literal region)."""
    if Token.is_unresolved(stack.region):
        return "arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*"
    return f"arn:aws:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-{stack.region}/*"
