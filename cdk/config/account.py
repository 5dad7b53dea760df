"""Account-level singletons: settings AWS keeps once per account and region, whoever deploys them.

- Bedrock model invocation logging: one ``PutModelInvocationLoggingConfiguration`` per account and Region
  (the last writer wins; deleting it switches logging off for everyone).
- API Gateway's CloudWatch Logs role (``AWS::ApiGateway::Account``): CloudFormation's reference says to have
  only one per region per account, or they overwrite each other; access logs of every stage need it.
- The CloudTrail trail: the first copy of management events per account is free, each further trail's copy is
  billed, and every trail's security alarms would fire once per trail.

They live in one small account stack per (account, region) the environments deploy to (an
:class:`AccountPlace`), deployed before any environment there: the pipeline's first wave, and ``make deploy``'s
first step. No environment owns them, so any environment can be deployed first and destroying one never
switches logging off for the others. The account stack takes its retention and data settings from the
strictest environment of its place (retains its data, then the longest invocation-log and trail retention);
synth fails, naming the keys, when another environment there would keep something longer, so the strictest
retention always wins.

``environments.<name>.account_singletons``: ``"account_stack"`` (default) or ``"external"``, when the
account's singletons are managed outside this app (the platform team, an organization trail): no account stack
for that place, and ``make doctor`` checks they exist. Every environment of a place must say the same.

An environment without an ``account`` deploys to the CLI's default account; all of them count as one account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cdk.config.fields import ConfigError

if TYPE_CHECKING:
    from cdk.config.environment import EnvironmentConfig

MANAGED_KEY = "account_singletons"
ACCOUNT_STACK, EXTERNAL = "account_stack", "external"
MANAGED_BY = (ACCOUNT_STACK, EXTERNAL)
DEFAULT_ACCOUNT = "default"
# The account stack's construct id inside its Stage (``cdk deploy '<stage id>/*'``).
ACCOUNT_STACK_ID = "Account"

# What "strictest" compares: (key path under environments.<name>, value of an environment). Higher is stricter.
STRICTNESS: tuple[tuple[str, Callable[[EnvironmentConfig], Any]], ...] = (
    ("removal_policy", lambda env: env.retain_data),
    ("bedrock.invocation_logging.log_retention_days", lambda env: env.bedrock.invocation_logging.log_retention_days),
    ("bedrock.invocation_logging.bucket_expiration_days",
     lambda env: env.bedrock.invocation_logging.bucket_expiration_days),
    ("observability.cloudtrail.log_retention_days", lambda env: env.observability.cloudtrail.log_retention_days),
    ("observability.cloudtrail.expiration_days", lambda env: env.observability.cloudtrail.expiration_days),
)


@dataclass(frozen=True)
class AccountPlace:
    """One (account, region) the environments deploy to, and the account stack that holds its singletons."""

    project: str
    account: str | None  # None: the CLI's default account
    region: str
    environments: tuple[str, ...]  # the environments deployed here, in cdk.json order
    strictest: EnvironmentConfig  # the account stack's retention and data settings come from it
    external: bool = False  # the singletons are managed outside this app: no account stack

    @property
    def stage_id(self) -> str:
        """The Stage holding the account stack: ``cdk deploy '<stage_id>/*'``."""
        return f"account-{self.region}" if self.account is None else f"account-{self.account}-{self.region}"

    @property
    def stack_name(self) -> str:
        """The account stack's name (one per account and region, so the account id is not needed in it)."""
        return f"{self.project}-account-{self.region}"

    def describe(self) -> str:
        return f"account {self.account or DEFAULT_ACCOUNT}, region {self.region}"


def parse_managed_by(path: str, value: Any) -> str:
    """``environments.<name>.account_singletons``: ``"account_stack"`` (default) or ``"external"``."""
    if value is None:
        return ACCOUNT_STACK
    if value not in MANAGED_BY:
        raise ConfigError(path, f"{value!r} is not allowed; allowed values: {', '.join(MANAGED_BY)}")
    return value


def place_of(env: EnvironmentConfig) -> tuple[str, str]:
    return (env.account or DEFAULT_ACCOUNT, env.region)


def account_places(environments: Sequence[EnvironmentConfig]) -> tuple[AccountPlace, ...]:
    """One :class:`AccountPlace` per (account, region); raises :class:`ConfigError` naming the keys when the
    environments of a place disagree on ``account_singletons`` or the strictest one does not outlast the others
    on every retention."""
    places: dict[tuple[str, str], list[EnvironmentConfig]] = defaultdict(list)
    for env in environments:
        places[place_of(env)].append(env)
    resolved = []
    for sharing in places.values():
        first = sharing[0]
        for env in sharing[1:]:
            if env.account_singletons != first.account_singletons:
                raise ConfigError(
                    f"environments.{env.name}.{MANAGED_KEY}",
                    f"is {env.account_singletons!r} but environments.{first.name}.{MANAGED_KEY} is "
                    f"{first.account_singletons!r}; environments sharing account {first.account or DEFAULT_ACCOUNT}, "
                    f"region {first.region} share its singletons, so they must agree (allowed values: "
                    f"{', '.join(MANAGED_BY)})")
        strictest = max(sharing, key=lambda env: tuple(value(env) for _, value in STRICTNESS))
        place = AccountPlace(project=first.project, account=first.account, region=first.region,
                             environments=tuple(env.name for env in sharing), strictest=strictest,
                             external=first.account_singletons == EXTERNAL)
        if not place.external:
            _check_strictest(place, sharing)
        resolved.append(place)
    return tuple(resolved)


def _check_strictest(place: AccountPlace, sharing: Sequence[EnvironmentConfig]) -> None:
    strictest = place.strictest
    for other in sharing:
        for key, value in STRICTNESS:
            if value(other) > value(strictest):
                raise ConfigError(
                    f"environments.{other.name}.{key}",
                    f"{_show(value(other))} outlasts environments.{strictest.name}.{key} ({_show(value(strictest))}), "
                    f"but the account stack of {place.describe()} takes its settings from {strictest.name}, the "
                    f"strictest environment there ({STRICTNESS[0][0]} first); raise environments.{strictest.name}.{key} "
                    f"or lower environments.{other.name}.{key}")


def _show(value: Any) -> str:
    return {True: "retain", False: "destroy"}.get(value, str(value)) if isinstance(value, bool) else str(value)
