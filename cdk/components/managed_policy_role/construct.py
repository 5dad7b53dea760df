"""An IAM role whose permissions live in customer-managed policies, never in inline ones."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from constructs import Construct


class ManagedPolicyRole(iam.Role):
    """An ``iam.Role`` that routes every statement added to it, grants included, into its own
    customer-managed policy (``AWS::IAM::ManagedPolicy``) instead of CDK's inline default policy.

    Grants stay the normal CDK way (``table.grant_read_data(role)``, ``fn.add_to_role_policy(...)``), and
    NIST 800-53 rev 5 (``IAMNoInlinePolicy``) is satisfied without acknowledging anything. The policy is
    attached to this role only; it is not meant to be shared.

    Example::

        from aws_cdk import App, Stack
        from aws_cdk import aws_iam as iam
        from aws_cdk import aws_ssm as ssm

        from cdk.components.managed_policy_role import ManagedPolicyRole

        app = App()
        stack = Stack(app, "Example")
        role = ManagedPolicyRole(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        setting = ssm.StringParameter(stack, "Setting", string_value="on")
        setting.grant_read(role)  # lands in role.policy
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.policy = iam.ManagedPolicy(self, "Policy", roles=[self],
                                        description=f"Permissions of {self.node.path}")

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        self.policy.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self.policy)


def account_service_principal(service: str, source_arn_pattern: str) -> iam.ServicePrincipal:
    """``service`` trusted only on behalf of this account's resources (confused deputy): ``aws:SourceAccount`` is the
    account and ``aws:SourceArn`` matches ``source_arn_pattern`` (e.g. ``arn:...:bedrock-agentcore:...:runtime/*``)."""
    return iam.ServicePrincipal(service, conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                                                     "ArnLike": {"aws:SourceArn": source_arn_pattern}})
