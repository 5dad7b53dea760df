"""GitHub Actions -> AWS through OpenID Connect: no stored access keys, one deploy role per GitHub environment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk.policy import acknowledge

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# The audience aws-actions/configure-aws-credentials requests for its token.
STS_AUDIENCE = "sts.amazonaws.com"
# The CDK bootstrap roles a deploy needs (`cdk deploy` assumes them; the CloudFormation execution role is
# assumed by CloudFormation itself, so it is deliberately absent).
BOOTSTRAP_ROLES = ("deploy-role", "file-publishing-role", "image-publishing-role", "lookup-role")


@dataclass(frozen=True)
class GitHubDeployTarget:
    """One GitHub environment and the AWS environment its jobs deploy to.

    ``subject`` is the exact ``sub`` claim the job's token carries, e.g.
    ``repo:my-org/genai-stack:environment:prod:ref:refs/heads/main``; ``account`` may be a token
    (``Aws.ACCOUNT_ID``) when the target shares the provider's account.
    """

    environment: str
    subject: str
    account: str
    region: str
    #: ``execute-api`` route ARNs the deploy job may call after its deploy (the evaluation gate, issue 15)
    invoke_routes: tuple[str, ...] = ()


class GitHubOidcDeployRoles(Construct):
    """The GitHub OIDC identity provider and, per GitHub environment, a role that can only run ``cdk deploy``.

    Each role trusts tokens whose audience is ``sts.amazonaws.com`` and whose subject is exactly the
    target's (repository, environment and, with a customized subject template, branch), and may only
    ``sts:AssumeRole`` the CDK bootstrap roles of its target account and region: what it can change is
    bounded by the bootstrap's CloudFormation execution policy, not by this role.

    The provider uses the native ``AWS::IAM::OIDCProvider`` (``iam.OidcProviderNative``, aws-cdk-lib's
    recommendation for new stacks; no custom resource). An account holds one provider per URL: pass
    ``create_provider=False`` where it already exists.

    Example::

        from aws_cdk import App, CfnOutput, Stack

        from cdk.components.github_oidc import GitHubDeployTarget, GitHubOidcDeployRoles

        app = App()
        stack = Stack(app, "Example")
        roles = GitHubOidcDeployRoles(stack, "GitHub", targets=[
            GitHubDeployTarget("dev", "repo:my-org/app:environment:dev", stack.account, stack.region),
        ])
        CfnOutput(stack, "DevRoleArn", value=roles.roles["dev"].role_arn)
    """

    def __init__(self, scope: Construct, construct_id: str, *, targets: Sequence[GitHubDeployTarget],
                 bootstrap_qualifier: str = "hnb659fds", create_provider: bool = True,
                 max_session_duration: Duration | None = None) -> None:
        super().__init__(scope, construct_id)
        if not targets:
            raise ValueError("GitHubOidcDeployRoles needs at least one target")
        stack = Stack.of(self)
        if create_provider:
            self.provider: iam.IOidcProvider = iam.OidcProviderNative(
                self,
                "Provider",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_ids=[STS_AUDIENCE],
                # No thumbprints: IAM secures this well-known issuer with its own trusted CAs.
                removal_policy=RemovalPolicy.RETAIN,  # other workloads in the account may trust it too
            )
        else:
            self.provider = iam.OidcProviderNative.from_oidc_provider_arn(
                self,
                "Provider",
                stack.format_arn(service="iam", region="", resource="oidc-provider", resource_name=GITHUB_OIDC_HOST),
            )
        self.roles: dict[str, iam.Role] = {}
        for target in targets:
            role = iam.Role(
                self,
                f"{target.environment}DeployRole",
                description=f"GitHub Actions environment {target.environment}: assumes the CDK bootstrap roles only",
                max_session_duration=max_session_duration or Duration.hours(1),  # a deploy's worth
                assumed_by=iam.WebIdentityPrincipal(
                    self.provider.oidc_provider_arn,
                    conditions={
                        "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE},
                        # No wildcard in the value: StringLike then matches this one subject only.
                        "StringLike": {f"{GITHUB_OIDC_HOST}:sub": target.subject},
                    },
                ),
            )
            bootstrap_roles = [
                stack.format_arn(
                    service="iam", region="", account=target.account, resource="role",
                    resource_name=f"cdk-{bootstrap_qualifier}-{kind}-{target.account}-{target.region}",
                )
                for kind in BOOTSTRAP_ROLES
            ]
            # A customer-managed policy rather than an inline one: reviewable on its own, and what NIST
            # 800-53 (IAMNoInlinePolicy) asks for.
            iam.ManagedPolicy(
                self,
                f"{target.environment}AssumeBootstrapRoles",
                description=f"Assume the CDK bootstrap roles of {target.environment}'s account and region",
                roles=[role],
                statements=[iam.PolicyStatement(actions=["sts:AssumeRole"], resources=bootstrap_roles)],
            )
            if target.invoke_routes:
                gate = iam.ManagedPolicy(
                    self,
                    f"{target.environment}InvokeEvaluatedRoutes",
                    description=f"Call {target.environment}'s API routes the post-deploy evaluation gate uses",
                    roles=[role],
                    statements=[iam.PolicyStatement(actions=["execute-api:Invoke"], resources=list(target.invoke_routes))],
                )
                acknowledge(gate, "AwsSolutions-IAM5",
                            "the API id is assigned when the environment deploys: the routes pin account, region, "
                            "stage, method and path", findings=[f"Resource::{r}" for r in target.invoke_routes])
            self.roles[target.environment] = role
