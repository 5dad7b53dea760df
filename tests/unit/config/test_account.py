"""One account stack per account and region, with the strictest environment's settings there."""

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


def _places(config):
    return [(place.stage_id, place.stack_name, place.environments, place.strictest.name, place.external)
            for place in config.account_places]


def test_one_account_stack_per_account_and_region_whatever_the_order_of_the_environments():
    config = _load(dev=copy.deepcopy(LOOSE), prod=copy.deepcopy(STRICT))
    assert _places(config) == [("account-eu-west-1", "genai-account-eu-west-1", ("dev", "prod"), "prod", False)]
    assert config.account_place("dev") is config.account_place("prod")
    assert config.selected_account_places() == config.account_places


def test_the_strictest_environment_gives_the_settings_without_any_key_to_set():
    config = _load(prod=copy.deepcopy(STRICT), dev=copy.deepcopy(LOOSE))
    assert config.account_place("dev").strictest.name == "prod"


@pytest.mark.parametrize(("loose_override", "key"), [
    ({"bedrock": {"invocation_logging": {"log_retention_days": 400}}},
     "bedrock.invocation_logging.log_retention_days"),
    ({"observability": {"cloudtrail": {"expiration_days": 3000}}}, "observability.cloudtrail.expiration_days"),
])
def test_a_looser_environment_that_would_keep_something_longer_is_refused_naming_both_keys(loose_override, key):
    with pytest.raises(ConfigError) as error:
        _load(dev={**LOOSE, **loose_override}, prod=copy.deepcopy(STRICT))
    assert error.value.path == f"environments.dev.{key}"
    assert f"environments.prod.{key}" in str(error.value) and "account stack of account default, region eu-west-1" in str(
        error.value)


@pytest.mark.parametrize("second", [{"account": "444455556666"}, {"region": "eu-central-1"}])
def test_each_account_or_region_gets_its_own_account_stack(second):
    config = _load(a={**STRICT, "account": "111122223333"}, b={**STRICT, "account": "111122223333", **second})
    assert [place.environments for place in config.account_places] == [("a",), ("b",)]
    assert len({place.stage_id for place in config.account_places}) == 2


def test_a_per_developer_copy_of_prod_shares_the_account_stack_without_any_key():
    config = _load(prod=copy.deepcopy(STRICT), **{"prod-copy": {"extends": "prod"}})
    assert _places(config) == [("account-eu-west-1", "genai-account-eu-west-1", ("prod", "prod-copy"), "prod", False)]


def test_singletons_managed_outside_the_app_need_every_environment_of_the_place_to_say_so():
    config = _load(dev={**LOOSE, "account_singletons": "external"}, prod={**STRICT, "account_singletons": "external"})
    assert [place.external for place in config.account_places] == [True]
    assert config.selected_account_places() == ()
    with pytest.raises(ConfigError) as error:
        _load(dev={**LOOSE, "account_singletons": "external"}, prod=copy.deepcopy(STRICT))
    assert error.value.path == "environments.prod.account_singletons"
    assert "must agree" in str(error.value)


def test_a_bad_switch_value_names_the_key_and_the_allowed_values():
    with pytest.raises(ConfigError, match=r"environments\.dev\.account_singletons: .*allowed values: account_stack, "
                                          r"external"):
        _load(dev={**LOOSE, "account_singletons": True})


def test_the_removed_owner_flag_is_refused_as_an_unknown_key():
    with pytest.raises(ConfigError, match=r"environments\.dev"):
        _load(dev={**LOOSE, "owns_account_singletons": True})


def test_selecting_one_environment_selects_its_place_only():
    config = load_app_config({"project": "genai", "env": "dev", "environments": {
        "dev": copy.deepcopy(LOOSE), "prod": {**STRICT, "region": "eu-central-1"}}})
    assert [place.region for place in config.selected_account_places()] == ["eu-west-1"]
