"""A Cognito identity pool that trades a user pool's ID tokens for short-lived AWS credentials of one role."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk.components.managed_policy_role import ManagedPolicyRole

IDENTITY_SERVICE = "cognito-identity.amazonaws.com"


class ApiIdentityPool(Construct):
    """An identity pool for the signed-in users of one user pool client: authenticated identities only (no guest
    access, no classic flow), every identity gets ``authenticated_role``, whose trust policy admits only web
    identities of this pool (``cognito-identity.amazonaws.com:aud``) that signed in (``amr`` = authenticated).
    Grant the role what the users may call (e.g. ``OrchestrationApi.grant_invoke``; grants land in the role's own
    managed policy); nothing else is granted.

    aws-cdk-lib 2.275's ``IdentityPool`` L2 always creates and attaches an unauthenticated role as well (checked in
    aws-cognito-identitypool/lib/identitypool.js), so this uses the L1 resources and attaches the authenticated role
    alone. The trust conditions are the ones AWS documents for identity pool roles (Amazon Cognito Developer Guide,
    "IAM roles": ``aud`` = the identity pool id, ``ForAnyValue:StringLike`` ``amr`` = authenticated).

    Example::

        from aws_cdk import App, ArnFormat, CfnOutput, RemovalPolicy, Stack
        from aws_cdk import aws_iam as iam

        from cdk.components.api_user_pool import ApiIdentityPool, ApiUserPool

        app = App()
        stack = Stack(app, "Example")
        users = ApiUserPool(stack, "Users", removal_policy=RemovalPolicy.DESTROY)
        identities = ApiIdentityPool(stack, "Identities", user_pool=users.user_pool, client=users.client)
        route = stack.format_arn(service="execute-api", resource="a1b2c3d4e5", resource_name="api/GET/v1/models",
                                 arn_format=ArnFormat.SLASH_RESOURCE_NAME)
        identities.authenticated_role.add_to_principal_policy(
            iam.PolicyStatement(actions=["execute-api:Invoke"], resources=[route]))
        CfnOutput(stack, "IdentityPoolId", value=identities.identity_pool_id)
    """

    def __init__(self, scope: Construct, construct_id: str, *, user_pool: cognito.IUserPool,
                 client: cognito.IUserPoolClient, credentials_hours: int = 1) -> None:
        super().__init__(scope, construct_id)
        self.pool = cognito.CfnIdentityPool(
            self, "Resource",
            allow_unauthenticated_identities=False,
            allow_classic_flow=False,
            cognito_identity_providers=[cognito.CfnIdentityPool.CognitoIdentityProviderProperty(
                client_id=client.user_pool_client_id,
                provider_name=user_pool.user_pool_provider_name,
                server_side_token_check=True,  # a revoked or signed-out token gets no credentials
            )],
        )
        self.identity_pool_id = self.pool.ref
        self.authenticated_role = ManagedPolicyRole(
            self, "AuthenticatedRole",
            description="Signed-in users of a Cognito identity pool: what they may call with its credentials",
            assumed_by=iam.FederatedPrincipal(
                IDENTITY_SERVICE,
                conditions={
                    "StringEquals": {f"{IDENTITY_SERVICE}:aud": self.identity_pool_id},
                    "ForAnyValue:StringLike": {f"{IDENTITY_SERVICE}:amr": "authenticated"},
                },
                assume_role_action="sts:AssumeRoleWithWebIdentity",
            ),
            max_session_duration=Duration.hours(credentials_hours),
        )
        cognito.CfnIdentityPoolRoleAttachment(
            self, "Roles", identity_pool_id=self.identity_pool_id,
            roles={"authenticated": self.authenticated_role.role_arn},
        )
