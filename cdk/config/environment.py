"""The per-environment configuration: one typed, frozen, validated object per entry of
``cdk.json`` -> ``context.environments``.

Each component owns a section (``bedrock``, ``sagemaker``, ...) parsed by its own module; this module
parses the keys every environment has and composes the sections.
"""

from __future__ import annotations

import copy
import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cdk.components.cost_budget.props import ENVIRONMENT_TAG_KEY
from cdk.components.knowledge_base.props import KnowledgeBaseProps
from cdk.config.account import ACCOUNT_STACK, MANAGED_KEY, parse_managed_by
from cdk.config.agents import AgentsConfig, parse_agents
from cdk.config.api import ApiConfig, parse_api
from cdk.config.bedrock import BedrockConfig, parse_bedrock
from cdk.config.budget import BudgetProps, parse_budget
from cdk.config.evaluation import EvaluationConfig, parse_evaluation
from cdk.config.fields import ConfigError, Section
from cdk.config.knowledge_bases import parse_knowledge_bases
from cdk.config.network import NetworkConfig, parse_network
from cdk.config.observability import ObservabilityConfig, parse_observability
from cdk.config.playground import PlaygroundConfig, parse_playground
from cdk.config.safety import SafetyConfig, parse_safety
from cdk.config.sagemaker import SageMakerConfig, parse_sagemaker

ENVIRONMENT_NAME_PATTERN = r"[a-z][a-z0-9-]{0,19}"
REGION_PATTERN = r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]"
ACCOUNT_PATTERN = r"[0-9]{12}"
PROJECT_PATTERN = r"[a-z][a-z0-9-]{1,19}"

# The values CloudWatch Logs accepts for a log group's retention (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
REMOVAL_POLICIES = ("retain", "destroy")

# The tags stacks/stage.py puts on every resource before the environment's own ``tags``: the budget filters on
# user:environment$<name> (cdk/components/cost_budget), so a ``tags`` entry may not replace either.
PROJECT_TAG_KEY = "project"
STAGE_TAG_KEYS = (PROJECT_TAG_KEY, ENVIRONMENT_TAG_KEY)
# Tag keys AWS accepts (Tagging AWS Resources user guide, "Tag naming limits and requirements"): 1-128 letters,
# digits, spaces and _ . : / = + - @, not starting with the reserved "aws:"; values up to 256 of the same characters.
_TAG_TEXT = re.compile(r"[\w\s.:/=+\-@]*")


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything one environment (dev, staging, prod, dev-alice, ...) is deployed with."""

    name: str
    project: str
    region: str
    account: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    log_retention_days: int = 30
    removal_policy: str = "retain"
    # Who deploys the account and region's singletons: the app's account stack, or someone else ("external");
    # see cdk/config/account.py.
    account_singletons: str = ACCOUNT_STACK
    network: NetworkConfig = field(default_factory=NetworkConfig)  # optional existing VPC
    bedrock: BedrockConfig = field(default_factory=BedrockConfig)
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    api: ApiConfig = field(default_factory=ApiConfig)
    sagemaker: SageMakerConfig = field(default_factory=SageMakerConfig)
    observability: ObservabilityConfig = field(default_factory=ObservabilityConfig)
    budget: BudgetProps | None = None  # None: no budget (budget.enabled false)
    knowledge_bases: tuple[KnowledgeBaseProps, ...] = ()  # name -> settings in cdk.json, in that order
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    agents: AgentsConfig = field(default_factory=AgentsConfig)  # disabled unless agents.enabled
    playground: PlaygroundConfig = field(default_factory=PlaygroundConfig)  # disabled unless playground.enabled

    @property
    def retain_data(self) -> bool:
        """Whether stateful resources (buckets, tables, keys, log groups) outlive their stack."""
        return self.removal_policy == "retain"

    def stack_name(self, component: str) -> str:
        """Stack names carry the environment so that environments can share an account."""
        return f"{self.project}-{self.name}-{component}"


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def resolve_extends(environments: Mapping[str, Any], name: str, path: str) -> dict[str, Any]:
    """Resolve ``"extends": "dev"`` so that a per-developer copy is a few lines of config."""
    seen: list[str] = []
    current = name
    layers: list[Mapping[str, Any]] = []
    while True:
        raw = environments[current]
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{path}.{current}", "expected an object")
        layers.append(raw)
        seen.append(current)
        parent = raw.get("extends")
        if parent is None:
            break
        if not isinstance(parent, str) or parent not in environments:
            raise ConfigError(f"{path}.{current}.extends",
                              f"{parent!r} is not an environment; allowed values: {', '.join(environments)}")
        if parent in seen:
            raise ConfigError(f"{path}.{current}.extends", f"cycle: {' -> '.join([*seen, parent])}")
        current = parent
    resolved: dict[str, Any] = {}
    for layer in reversed(layers):
        resolved = _merge(resolved, layer)
    resolved.pop("extends", None)
    return resolved


def _tags(section: Section) -> dict[str, str]:
    """``tags``: extra tags on every resource of the environment, checked as AWS checks them at deploy."""
    tags = section.string_map("tags", {})
    for key, value in tags.items():
        path = f"{section.child_path('tags')}.{key}"
        if key in STAGE_TAG_KEYS:
            raise ConfigError(path, f"{key!r} is set by the stage ({', '.join(STAGE_TAG_KEYS)}: the environment's "
                                    "budget and cost report filter on them); choose another key")
        if key.lower().startswith("aws:"):
            raise ConfigError(path, "keys starting with 'aws:' are reserved by AWS")
        if not 1 <= len(key) <= 128 or not 0 <= len(value) <= 256:
            raise ConfigError(path, "a tag key has 1-128 characters and its value at most 256")
        if not _TAG_TEXT.fullmatch(key) or not _TAG_TEXT.fullmatch(value):
            raise ConfigError(path, "tag keys and values may hold letters, digits, spaces and the characters _ . : / = + - @")
    return tags


def parse_environment(name: str, project: str, raw: Mapping[str, Any], path: str) -> EnvironmentConfig:
    section = Section(raw, path)
    config = EnvironmentConfig(
        name=name,
        project=project,
        region=section.string("region", pattern=REGION_PATTERN, pattern_hint="an AWS region such as eu-west-1"),
        account=section.string("account", None, pattern=ACCOUNT_PATTERN, pattern_hint="a 12-digit AWS account id"),
        tags=types.MappingProxyType(_tags(section)),
        log_retention_days=section.integer("log_retention_days", 30, choices=LOG_RETENTION_DAYS),
        removal_policy=section.string("removal_policy", "retain", choices=REMOVAL_POLICIES),
        account_singletons=parse_managed_by(section.child_path(MANAGED_KEY), section.raw(MANAGED_KEY, None)),
        network=parse_network(section.section("network"), region=section.raw("region")),
        bedrock=(bedrock := parse_bedrock(section.section("bedrock"), region=section.raw("region"),
                                          log_retention_days=section.raw("log_retention_days", 30))),
        safety=(safety := parse_safety(section.section("safety"))),
        api=(api := parse_api(section.section("api"), safety=safety)),  # checks limits shared with safety
        sagemaker=parse_sagemaker(section.section("sagemaker"),
                                  has_vpc=bool((section.raw("network", None) or {}).get("vpc_id")),
                                  retain_data=section.raw("removal_policy", "retain") == "retain"),
        observability=parse_observability(section.section("observability")),
        budget=parse_budget(section.section("budget"), environment=name),
        knowledge_bases=(knowledge_bases := parse_knowledge_bases(section.raw("knowledge_bases", None),
                                                                  section.child_path("knowledge_bases"))),
        evaluation=parse_evaluation(section.section("evaluation"), bedrock=bedrock, api=api),
        agents=parse_agents(section.section("agents"), bedrock=bedrock, request_deadline_seconds=api.request_deadline_seconds,
                            knowledge_bases=tuple(kb.name for kb in knowledge_bases),
                            region=section.raw("region", None) or ""),
        playground=parse_playground(section.section("playground")),
    )
    section.finish()
    return config
