"""Delivery configuration: the top-level ``pipeline`` and ``github`` context keys (not per environment).

Both are optional; without them the app synthesizes the environments only. Example::

    "pipeline": {
      "account": "111111111111",
      "region": "eu-west-1",
      "connection_arn": "arn:aws:codeconnections:eu-west-1:111111111111:connection/<uuid>",
      "repository": "my-org/genai-stack",
      "branch": "main",
      "environments": ["dev", "staging", "prod"],
      "requires_approval": ["prod"]
    },
    "github": {
      "repository": "my-org/genai-stack",
      "branch": "main",
      "environments": ["dev", "staging", "prod"],
      "account": "111111111111"
    }

A ``pipeline`` block without ``connection_arn`` is a pipeline that is not set up yet (the connection is
created and authorized in the console first): the app then skips the pipeline stack with a message on
stderr and synthesizes the environments as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdk.config.environment import ACCOUNT_PATTERN, REGION_PATTERN, EnvironmentConfig
from cdk.config.fields import ConfigError, Section

# owner/name as GitHub spells them; no wildcards, so a trust policy built from it matches one repository.
REPOSITORY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}"
# A branch name without wildcards or the characters git refuses (a subset of git-check-ref-format).
BRANCH_PATTERN = r"(?!.*\.\.)(?!.*//)[A-Za-z0-9][A-Za-z0-9._/-]{0,199}(?<![./])"
# CodeConnections (and its former name, CodeStar Connections) connection ARNs.
CONNECTION_ARN_PATTERN = (
    r"arn:aws[a-z-]*:(codeconnections|codestar-connections):" + REGION_PATTERN + ":" + ACCOUNT_PATTERN
    + r":connection/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
# `cdk bootstrap --qualifier`: the bootstrap template's Qualifier parameter allows these.
QUALIFIER_PATTERN = r"[A-Za-z0-9_-]{1,10}"
DEFAULT_QUALIFIER = "hnb659fds"
DEFAULT_ORDER = ("dev", "staging", "prod")
SUBJECT_FORMATS = ("environment-and-ref", "environment")


@dataclass(frozen=True)
class PipelineConfig:
    """The self-mutating CDK pipeline, deployed once into a tooling account."""

    account: str
    region: str
    repository: str
    connection_arn: str | None = None
    branch: str = "main"
    environments: tuple[str, ...] = DEFAULT_ORDER
    requires_approval: tuple[str, ...] = ("prod",)
    smoke_test: bool = True

    @property
    def skip_reason(self) -> str | None:
        """Why the pipeline stack is not synthesized, or None when it is."""
        if self.connection_arn is None:
            return ("pipeline.connection_arn is not set: create a CodeConnections connection to "
                    f"{self.repository} in account {self.account} ({self.region}), authorize it, and put its ARN "
                    "in cdk.json -> context.pipeline.connection_arn")
        return None

    def cross_account(self, environments: Sequence[EnvironmentConfig]) -> bool:
        """Whether any stage deploys to an account other than the tooling account (needs KMS-encrypted artifacts)."""
        return any(env.account not in (None, self.account) for env in environments)


@dataclass(frozen=True)
class GitHubConfig:
    """GitHub Actions deploys through OIDC: the identity provider and one deploy role per GitHub environment."""

    repository: str
    branch: str = "main"
    environments: tuple[str, ...] = DEFAULT_ORDER
    # "environment-and-ref": sub = repo:O/R:environment:E:ref:refs/heads/B (needs the repository's OIDC subject
    # template to include the claims repo, context and ref); "environment": GitHub's default subject
    # repo:O/R:environment:E, the branch then being enforced only by the environment's deployment branch rule.
    subject_format: str = "environment-and-ref"
    account: str | None = None
    region: str | None = None
    bootstrap_qualifier: str = DEFAULT_QUALIFIER
    create_provider: bool = True

    def subject(self, environment: str) -> str:
        """The ``token.actions.githubusercontent.com:sub`` value a deploy job for ``environment`` presents."""
        subject = f"repo:{self.repository}:environment:{environment}"
        if self.subject_format == "environment-and-ref":
            subject += f":ref:refs/heads/{self.branch}"
        return subject


def _environment_list(section: Section, key: str, default: Sequence[str], known: Sequence[str]) -> tuple[str, ...]:
    def known_environment(path: str, value: str) -> str:
        if value not in known:
            raise ConfigError(path, f"{value!r} is not an environment; allowed values: {', '.join(known)}")
        return value

    return section.string_list(key, list(default), item=known_environment, min_items=1)


def _default_order(known: Sequence[str]) -> list[str]:
    return [name for name in DEFAULT_ORDER if name in known] or list(known[:1])


def parse_pipeline(section: Section, environments: Sequence[EnvironmentConfig]) -> PipelineConfig | None:
    """Parse ``context.pipeline``; None when the key is absent or ``enabled`` is false."""
    if not section.boolean("enabled", True):
        return None  # a disabled block keeps its settings for later, unvalidated
    known = [env.name for env in environments]
    order = _environment_list(section, "environments", _default_order(known), known)
    approval_default = [name for name in order if name == "prod"]

    def in_pipeline(path: str, value: str) -> str:
        if value not in order:
            raise ConfigError(path, f"{value!r} is not a pipeline environment; allowed values: {', '.join(order)}")
        return value

    config = PipelineConfig(
        account=section.string("account", pattern=ACCOUNT_PATTERN, pattern_hint="the tooling account's 12-digit id"),
        region=section.string("region", pattern=REGION_PATTERN, pattern_hint="an AWS region such as eu-west-1"),
        connection_arn=section.string("connection_arn", None, pattern=CONNECTION_ARN_PATTERN,
                                      pattern_hint="arn:aws:codeconnections:<region>:<account>:connection/<uuid>"),
        repository=section.string("repository", pattern=REPOSITORY_PATTERN, pattern_hint="owner/name, e.g. my-org/genai-stack"),
        branch=section.string("branch", "main", pattern=BRANCH_PATTERN, pattern_hint="a branch name such as main"),
        environments=order,
        requires_approval=section.string_list("requires_approval", approval_default, item=in_pipeline),
        smoke_test=section.boolean("smoke_test", True),
    )
    section.finish()
    return config


def parse_github(section: Section, environments: Sequence[EnvironmentConfig]) -> GitHubConfig | None:
    """Parse ``context.github``; None when the key is absent or ``enabled`` is false."""
    if not section.boolean("enabled", True):
        return None  # a disabled block keeps its settings for later, unvalidated
    known = [env.name for env in environments]
    order = _environment_list(section, "environments", _default_order(known), known)
    first_region = next(env.region for env in environments if env.name == order[0])
    config = GitHubConfig(
        repository=section.string("repository", pattern=REPOSITORY_PATTERN, pattern_hint="owner/name, e.g. my-org/genai-stack"),
        branch=section.string("branch", "main", pattern=BRANCH_PATTERN, pattern_hint="a branch name such as main"),
        environments=order,
        subject_format=section.string("subject_format", "environment-and-ref", choices=SUBJECT_FORMATS),
        account=section.string("account", None, pattern=ACCOUNT_PATTERN, pattern_hint="a 12-digit AWS account id"),
        region=section.string("region", first_region, pattern=REGION_PATTERN, pattern_hint="an AWS region such as eu-west-1"),
        bootstrap_qualifier=section.string("bootstrap_qualifier", DEFAULT_QUALIFIER, pattern=QUALIFIER_PATTERN,
                                           pattern_hint="1-10 letters, digits, '_' or '-' (cdk bootstrap --qualifier)"),
        create_provider=section.boolean("create_provider", True),
    )
    section.finish()
    return config
