"""The whole app's configuration: the project, its environments and which one(s) to synthesize."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cdk.config.account import AccountPlace, account_places
from cdk.config.environment import (
    ENVIRONMENT_NAME_PATTERN,
    PROJECT_PATTERN,
    EnvironmentConfig,
    parse_environment,
    resolve_extends,
)
from cdk.config.fields import ConfigError, Section
from cdk.config.pipeline import GitHubConfig, PipelineConfig, parse_github, parse_pipeline

# Context keys this app reads. Anything else in context is CDK's own (feature flags, etc.).
CONTEXT_KEYS = ("project", "environments", "env", "pipeline", "github")


@dataclass(frozen=True)
class AppConfig:
    project: str
    environments: tuple[EnvironmentConfig, ...]
    selected_name: str | None = None
    pipeline: PipelineConfig | None = None  # top-level `pipeline` key: the CDK pipeline (delivery)
    github: GitHubConfig | None = None  # top-level `github` key: GitHub Actions OIDC deploy roles
    # One per (account, region) of the environments: where the account-level singletons live.
    account_places: tuple[AccountPlace, ...] = ()

    def environment(self, name: str) -> EnvironmentConfig:
        for env in self.environments:
            if env.name == name:
                return env
        raise ConfigError("env", f"{name!r} is not an environment; allowed values: {', '.join(self.names)}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(env.name for env in self.environments)

    def selected(self) -> tuple[EnvironmentConfig, ...]:
        """The environments to synthesize: the one named by ``-c env=NAME``, or all of them."""
        if self.selected_name is None:
            return self.environments
        return (self.environment(self.selected_name),)

    def account_place(self, name: str) -> AccountPlace:
        """The account and region of environment ``name``, with its account stack."""
        return next(place for place in self.account_places if name in place.environments)

    def selected_account_places(self) -> tuple[AccountPlace, ...]:
        """The places of the selected environments whose singletons this app deploys (an account stack each)."""
        names = {env.name for env in self.selected()}
        return tuple(place for place in self.account_places
                     if not place.external and names.intersection(place.environments))


def load_app_config(context: Mapping[str, Any]) -> AppConfig:
    """Parse and validate the app's context; raises :class:`ConfigError` naming the bad key."""
    project = context.get("project", "genai")
    if not isinstance(project, str) or not re.fullmatch(PROJECT_PATTERN, project):
        raise ConfigError("project", f"{project!r} is not valid; expected lower-case letters, digits and '-'")
    environments = context.get("environments")
    if not isinstance(environments, Mapping) or not environments:
        raise ConfigError("environments", "is required: an object of environment name -> settings")
    parsed = []
    for name in environments:
        path = f"environments.{name}"
        if not re.fullmatch(ENVIRONMENT_NAME_PATTERN, name):
            raise ConfigError(path, "environment names are 1-20 lower-case letters, digits and '-', starting with a letter")
        parsed.append(parse_environment(name, project, resolve_extends(environments, name, "environments"), path))
    selected = context.get("env")
    pipeline = parse_pipeline(Section(context["pipeline"], "pipeline"), parsed) if "pipeline" in context else None
    github = parse_github(Section(context["github"], "github"), parsed) if "github" in context else None
    config = AppConfig(project=project, environments=tuple(parsed), selected_name=selected,
                       pipeline=pipeline, github=github,
                       account_places=account_places(parsed))  # one account stack per account+region
    if selected is not None:
        config.environment(selected)  # fail now, with the allowed names
    return config

