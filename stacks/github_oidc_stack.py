"""GitHub Actions deploy identities: the OIDC provider and one deploy role per GitHub environment.

Deployed once (``cdk deploy GitHubOidc``) into ``github.account``; every target account is bootstrapped
with ``--trust <github.account>`` so that these roles may assume its bootstrap roles.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cdk.components.github_oidc import GitHubDeployTarget, GitHubOidcDeployRoles
from cdk.config import EnvironmentConfig
from cdk.config.pipeline import GitHubConfig


class GitHubOidcStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, github: GitHubConfig,
                 environments: Sequence[EnvironmentConfig], **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        by_name = {env.name: env for env in environments}
        targets = [
            GitHubDeployTarget(
                environment=name,
                subject=github.subject(name),
                # An environment without an account deploys into the account that holds these roles.
                account=by_name[name].account or self.account,
                region=by_name[name].region,
            )
            for name in github.environments
        ]
        self.deploy_roles = GitHubOidcDeployRoles(
            self,
            "GitHub",
            targets=targets,
            bootstrap_qualifier=github.bootstrap_qualifier,
            create_provider=github.create_provider,
        )
        for name, role in self.deploy_roles.roles.items():
            CfnOutput(
                self,
                f"{name}DeployRoleArn",
                value=role.role_arn,
                description=f"Set as the GitHub environment variable AWS_DEPLOY_ROLE_ARN of environment {name}",
            )
