"""Account-level singletons: settings AWS keeps once per account and region, whoever deploys them.

- Bedrock model invocation logging: one ``PutModelInvocationLoggingConfiguration`` per account and Region
  (the last writer wins; deleting it switches logging off for everyone).
- API Gateway's CloudWatch Logs role (``AWS::ApiGateway::Account``): CloudFormation's reference says to have
  only one per region per account, or they overwrite each other; access logs of every stage need it.
- The CloudTrail trail: the first copy of management events per account is free, each further trail's copy is
  billed, and every trail's security alarms would fire once per trail.

Each (account, region) that environments deploy to has exactly one owner, the environment that states
``"owns_account_singletons": true``. The owner must be the strictest environment there (retains its data and
keeps each log at least as long as any environment sharing the place), so the strictest retention wins and
destroying a short-lived environment never switches logging off for prod. An environment alone in its account
and region owns them unless it says ``false``; when every environment of a place says ``false`` the account's
singletons are managed outside this app (the platform team, an organization trail), and ``make doctor``
checks they exist.

An environment without an ``account`` deploys to the CLI's default account; all of them count as one account.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cdk.config.fields import ConfigError

if TYPE_CHECKING:
    from cdk.config.environment import EnvironmentConfig

OWNER_KEY = "owns_account_singletons"
DEFAULT_ACCOUNT = "default"

# What "strictest" compares: (key path under environments.<name>, value of an environment). Higher is stricter.
STRICTNESS: tuple[tuple[str, Callable[[EnvironmentConfig], Any]], ...] = (
    ("removal_policy", lambda env: env.retain_data),
    ("bedrock.invocation_logging.log_retention_days", lambda env: env.bedrock.invocation_logging.log_retention_days),
    ("bedrock.invocation_logging.bucket_expiration_days",
     lambda env: env.bedrock.invocation_logging.bucket_expiration_days),
    ("observability.cloudtrail.log_retention_days", lambda env: env.observability.cloudtrail.log_retention_days),
    ("observability.cloudtrail.expiration_days", lambda env: env.observability.cloudtrail.expiration_days),
)


def parse_owner(path: str, value: Any) -> bool | None:
    """``environments.<name>.owns_account_singletons``: true, false, or absent (None)."""
    if value is not None and not isinstance(value, bool):
        raise ConfigError(path, f"expected true or false, got {type(value).__name__}")
    return value


def place_of(env: EnvironmentConfig) -> tuple[str, str]:
    return (env.account or DEFAULT_ACCOUNT, env.region)


def resolve_account_singletons(environments: Sequence[EnvironmentConfig]) -> list[EnvironmentConfig]:
    """The environments with ``owns_account_singletons`` resolved to True/False; raises :class:`ConfigError`
    naming the keys when a place has two owners, none, or an owner that is not the strictest."""
    places: dict[tuple[str, str], list[EnvironmentConfig]] = defaultdict(list)
    for env in environments:
        places[place_of(env)].append(env)
    owners: dict[str, bool] = {}
    for (account, region), sharing in places.items():
        where = f"account {account}, region {region}"
        declared = [env for env in sharing if env.owns_account_singletons]
        if len(declared) > 1:
            first, second = declared[0].name, declared[1].name
            raise ConfigError(f"environments.{second}.{OWNER_KEY}",
                              f"environments.{first} already owns the account-level singletons in {where} (Bedrock "
                              "invocation logging, API Gateway's CloudWatch role, the CloudTrail trail: one each per "
                              "account and region); set it to true in exactly one of the environments that share them")
        if not declared:
            unstated = [env for env in sharing if env.owns_account_singletons is None]
            if len(sharing) == 1 and unstated:
                declared = unstated  # alone in its account and region: it owns them
            elif unstated:
                strictest = max(sharing, key=lambda env: tuple(value(env) for _, value in STRICTNESS))
                names = ", ".join(f"environments.{env.name}" for env in sharing)
                raise ConfigError(f"environments.{strictest.name}.{OWNER_KEY}",
                                  f"{names} share {where} and none owns its account-level singletons; set it to true "
                                  f"in the strictest one ({strictest.name}), or false in all of them if the account's "
                                  "singletons are managed outside this app")
        for env in declared:
            _check_strictest(env, sharing, where)
        for env in sharing:
            owners[env.name] = env in declared
    return [dataclasses.replace(env, owns_account_singletons=owners[env.name]) for env in environments]


def _check_strictest(owner: EnvironmentConfig, sharing: Sequence[EnvironmentConfig], where: str) -> None:
    for other in sharing:
        for key, value in STRICTNESS:
            if value(other) > value(owner):
                raise ConfigError(
                    f"environments.{owner.name}.{OWNER_KEY}",
                    f"{owner.name} is not the strictest environment in {where}: environments.{other.name}.{key} "
                    f"({_show(value(other))}) outlasts environments.{owner.name}.{key} ({_show(value(owner))}); the "
                    f"owner's settings apply to every environment there, so make {other.name} the owner or raise "
                    f"environments.{owner.name}.{key}")


def _show(value: Any) -> str:
    return {True: "retain", False: "destroy"}.get(value, str(value)) if isinstance(value, bool) else str(value)
