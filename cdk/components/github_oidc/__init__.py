from cdk.components.github_oidc.construct import GitHubDeployTarget, GitHubOidcDeployRoles

__all__ = ["GitHubDeployTarget", "GitHubOidcDeployRoles"]
