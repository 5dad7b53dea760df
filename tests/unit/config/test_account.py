"""One owner of the account-level singletons per account and region, and it is the strictest environment."""

from __future__ import annotations

import copy

import pytest

from cdk.config import ConfigError, load_app_config

STRICT = {"region": "eu-west-1", "removal_policy": "retain", "log_retention_days": 365,
          "observability": {"cloudtrail": {"log_retention_days": 365, "expiration_days": 2557}}}
LOOSE = {"region": "eu-west-1", "removal_policy": "destroy", "log_retention_days": 14,
         "observability": {"cloudtrail": {"log_retention_days": 30, "transition_to_glacier_days": 60,
                                                   "expiration_days": 90}}}


def _load(**environments):
    return load_app_config({"project": "genai", "environments": environments})


def _owners(config):
    return [env.name for env in config.environments if env.owns_account_singletons]


def test_an_environment_alone_in_its_account_and_region_owns_them():
    assert _owners(_load(dev=copy.deepcopy(LOOSE))) == ["dev"]
    assert _owners(_load(dev={**LOOSE, "owns_account_singletons": False})) == []  # managed outside this app


def test_the_strictest_environment_may_own_them_and_then_only_it_does():
    config = _load(dev=copy.deepcopy(LOOSE), prod={**STRICT, "owns_account_singletons": True})
    assert _owners(config) == ["prod"]
    assert config.environment("dev").owns_account_singletons is False


def test_two_owners_in_one_account_and_region_are_refused_naming_both():
    with pytest.raises(ConfigError) as error:
        _load(a={**STRICT, "owns_account_singletons": True}, b={**STRICT, "owns_account_singletons": True})
    assert error.value.path == "environments.b.owns_account_singletons"
    assert "environments.a already owns the account-level singletons in account default, region eu-west-1" in str(
        error.value)


def test_environments_sharing_a_place_without_an_owner_are_told_which_one_to_pick():
    with pytest.raises(ConfigError) as error:
        _load(dev=copy.deepcopy(LOOSE), prod=copy.deepcopy(STRICT))
    assert error.value.path == "environments.prod.owns_account_singletons"
    assert "set it to true in the strictest one (prod)" in str(error.value)


@pytest.mark.parametrize(("loose_override", "key"), [
    ({}, "removal_policy"),
    ({"removal_policy": "retain"}, "bedrock.invocation_logging.log_retention_days"),
    ({"removal_policy": "retain", "log_retention_days": 365, "observability": {}},
     "observability.cloudtrail.expiration_days"),
])
def test_a_less_strict_owner_is_refused_so_the_strictest_retention_wins(loose_override, key):
    owner = {**LOOSE, **loose_override, "owns_account_singletons": True}
    with pytest.raises(ConfigError) as error:
        _load(dev=owner, prod=copy.deepcopy(STRICT))
    assert error.value.path == "environments.dev.owns_account_singletons"
    assert f"environments.prod.{key}" in str(error.value) and "make prod the owner" in str(error.value)


@pytest.mark.parametrize("second", [{"account": "444455556666"}, {"region": "eu-central-1"}])
def test_owners_in_different_accounts_or_regions_are_fine(second):
    config = _load(a={**STRICT, "account": "111122223333"}, b={**STRICT, "account": "111122223333", **second})
    assert _owners(config) == ["a", "b"]


def test_a_per_developer_copy_of_the_owner_must_turn_ownership_off():
    environments = {"prod": {**STRICT, "owns_account_singletons": True}, "prod-copy": {"extends": "prod"}}
    with pytest.raises(ConfigError, match=r"environments\.prod-copy\.owns_account_singletons"):
        _load(**environments)
    environments["prod-copy"]["owns_account_singletons"] = False
    assert _owners(_load(**environments)) == ["prod"]


def test_a_non_boolean_owner_flag_names_the_key():
    with pytest.raises(ConfigError, match=r"environments\.dev\.owns_account_singletons: expected true or false"):
        _load(dev={**LOOSE, "owns_account_singletons": "yes"})
