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
from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()  # lambdas/<function>/ on sys.path for the runtime contract below

# isort: split
from evaluation_metrics.metric_sets import ROUTES as EVALUATED_ROUTES  # noqa: E402


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
                invoke_routes=self._evaluation_routes(by_name[name]),
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

    def _evaluation_routes(self, env: EnvironmentConfig) -> tuple[str, ...]:
        """The routes the deploy workflow's evaluation gate calls (scripts/evaluation_gate.sh), where it runs."""
        if not env.evaluation.gate_in_pipeline or env.api.authorization != "iam":
            return ()
        return tuple(self.format_arn(service="execute-api", region=env.region, account=env.account or self.account,
                                     resource="*", resource_name=f"{env.api.stage_name}/POST/{path}")
                     for path in (route.lstrip("/") for route in EVALUATED_ROUTES))
