"""Explicit IAM statements for a :class:`~cdk.components.managed_policy_role.ManagedPolicyRole`, each wildcard
acknowledged next to the statement that needs it, with its reason and the exact cdk-nag finding.

CDK's convenience grants (``bucket.grant_read_write(role, "prefix/*")``) add ``s3:GetObject*``, ``s3:List*``,
``kms:GenerateDataKey*`` and similar wildcards; these helpers spell out the actions instead, so the only wildcards
left are the ones AWS requires, and each is acknowledged on the narrowest construct (the role's policy).

Example::

    from aws_cdk import App, Stack
    from aws_cdk import aws_ecr as ecr
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3

    from cdk.components.least_privilege import allow, allow_image_pull, allow_kms
    from cdk.components.managed_policy_role import ManagedPolicyRole

    app = App()
    stack = Stack(app, "Example")
    role = ManagedPolicyRole(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    bucket = s3.Bucket.from_bucket_name(stack, "Datasets", "example-datasets")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    allow(role, ["s3:GetObject"], [bucket.arn_for_objects("datasets/*")],
          wildcard_reason="reads every object under the datasets/ prefix, whose keys are not known in advance")
    allow_kms(role, [key.key_arn], via_service=f"s3.{stack.region}.{stack.url_suffix}")
    allow_image_pull(role, ecr.Repository.from_repository_name(stack, "Images", "example-images"))
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk.components.managed_policy_role import ManagedPolicyRole
from cdk.policy import acknowledge


def nag_resource_finding(scope: Construct, value: str) -> str:
    """How cdk-nag names ``value`` (an ARN that may hold tokens) in an IAM5 finding: ``Resource::arn:<AWS::Partition>:...``."""

    def visit(node: Any) -> str:
        if node is None:
            return ""
        if isinstance(node, str):
            return node.replace("${", "<").replace("}", ">")
        if isinstance(node, dict) and "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return delimiter.join(visit(item) for item in items)
        if isinstance(node, dict) and "Fn::Sub" in node:
            return visit(node["Fn::Sub"])
        if isinstance(node, dict) and "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{visit(resource)}.{visit(attribute)}>"
        if isinstance(node, dict) and "Ref" in node:
            return f"<{visit(node['Ref'])}>"
        return json.dumps(node, separators=(",", ":"))  # cdk-nag's fallback: JSON.stringify

    return "Resource::" + visit(Stack.of(scope).resolve(value))


def allow(role: ManagedPolicyRole, actions: Sequence[str], resources: Sequence[str], *,
          conditions: dict[str, Any] | None = None, wildcard_reason: str | None = None) -> None:
    """Allow ``actions`` on ``resources``; a wildcard in either needs ``wildcard_reason`` and is acknowledged."""
    role.add_to_principal_policy(iam.PolicyStatement(actions=list(actions), resources=list(resources),
                                                     conditions=conditions))
    findings = [f"Action::{action}" for action in actions if "*" in action]
    findings += [f for f in (nag_resource_finding(role, r) for r in resources) if "*" in f]
    if findings:
        if not wildcard_reason:
            raise ValueError(f"{role.node.path}: {', '.join(findings)} need a wildcard_reason")
        acknowledge(role.policy, "AwsSolutions-IAM5", wildcard_reason, findings=findings)


def allow_kms(role: ManagedPolicyRole, key_arns: Iterable[str], *, encrypt: bool = True,
              via_service: str | None = None) -> None:
    """Use of customer-managed keys with the actions spelled out (no ``kms:GenerateDataKey*``).

    ``via_service`` (e.g. ``s3.eu-west-1.amazonaws.com``) limits the use to requests that service makes for the role.
    """
    actions = ["kms:Decrypt", "kms:DescribeKey"]
    if encrypt:
        actions += ["kms:Encrypt", "kms:GenerateDataKey"]
    conditions = {"StringEquals": {"kms:ViaService": via_service}} if via_service else None
    allow(role, actions, list(key_arns), conditions=conditions)


def allow_image_pull(role: ManagedPolicyRole, repository: ecr.IRepository) -> None:
    """Pull container images from ``repository`` only (plus the registry login, which has no resource type)."""
    allow(role, ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
          [repository.repository_arn])
    allow(role, ["ecr:GetAuthorizationToken"], ["*"],
          wildcard_reason="ecr:GetAuthorizationToken supports no resource-level permissions (IAM service "
                          "authorization reference); image pulls are scoped to the one DLC repository")
