"""Bad configuration fails synth with one line that names the key path and the allowed values."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cdk.config import ConfigError, load_app_config
from tests.infra.synth import ROOT, cdk_context


def _context(**dev_overrides):
    return {"project": "genai", "environments": {"dev": {"region": "eu-west-1", **dev_overrides}}}


def test_the_committed_cdk_json_parses_into_three_environments():
    config = load_app_config(cdk_context())
    assert config.names == ("dev", "staging", "prod")
    prod = config.environment("prod")
    assert prod.retain_data and prod.stack_name("bedrock") == "genai-prod-bedrock"


def test_config_objects_are_frozen():
    env = load_app_config(_context()).environment("dev")
    with pytest.raises(AttributeError):
        env.region = "us-east-1"  # type: ignore[misc]
    with pytest.raises(TypeError):
        env.tags["x"] = "y"  # type: ignore[index]


@pytest.mark.parametrize(
    ("dev", "path", "fragment"),
    [
        ({"regoin": "eu-west-1"}, "environments.dev.regoin", "unknown key; did you mean 'region'?"),
        ({"region": "eu-west-1", "log_retension_days": 7}, "environments.dev.log_retension_days",
         "did you mean 'log_retention_days'? allowed keys:"),
        ({"region": "europe"}, "environments.dev.region", "an AWS region such as eu-west-1"),
        ({"region": "eu-west-1", "log_retention_days": 10}, "environments.dev.log_retention_days", "allowed values: 1, 3, 5"),
        ({"region": "eu-west-1", "log_retention_days": "30"}, "environments.dev.log_retention_days", "expected an integer"),
        ({"region": "eu-west-1", "removal_policy": "keep"}, "environments.dev.removal_policy", "allowed values: retain, destroy"),
        ({"region": "eu-west-1", "account": "1234"}, "environments.dev.account", "a 12-digit AWS account id"),
        ({"region": "eu-west-1", "tags": {"team": 7}}, "environments.dev.tags.team", "expected a string"),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_values(dev, path, fragment):
    with pytest.raises(ConfigError) as error:
        load_app_config({"environments": {"dev": dev}})
    assert error.value.path == path
    assert fragment in str(error.value)


def test_unknown_environment_selected_with_dash_c_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"env: 'qa' is not an environment; allowed values: dev"):
        load_app_config({**_context(), "env": "qa"})


def test_a_per_developer_environment_is_config_only():
    context = _context(removal_policy="destroy", tags={"team": "ml"})
    context["environments"]["dev-alice"] = {"extends": "dev", "account": "111122223333", "tags": {"owner": "alice"}}
    alice = load_app_config(context).environment("dev-alice")
    assert (alice.region, alice.account, alice.removal_policy) == ("eu-west-1", "111122223333", "destroy")
    assert dict(alice.tags) == {"team": "ml", "owner": "alice"}
    assert alice.stack_name("api") == "genai-dev-alice-api"


def test_extends_must_name_an_environment_and_not_loop():
    context = _context()
    context["environments"]["a"] = {"extends": "b"}
    context["environments"]["b"] = {"extends": "a"}
    with pytest.raises(ConfigError, match="cycle"):
        load_app_config(context)
    with pytest.raises(ConfigError, match="allowed values: dev"):
        load_app_config({"environments": {"dev": {"extends": "nope", "region": "eu-west-1"}}})


def test_app_prints_one_clear_line_and_no_stack_trace(tmp_path):
    context = {**cdk_context(), "env": "qa"}
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip() and "node" not in line.lower()]
    assert lines == ["genai-stack: invalid configuration: env: 'qa' is not an environment; "
                     "allowed values: dev, staging, prod"]


def test_a_missing_key_is_not_blamed_on_a_similar_key_already_read():
    from cdk.config.fields import Section

    section = Section({"vpc_id": "vpc-1"}, "network")
    section.string("vpc_id")
    with pytest.raises(ConfigError) as error:
        section.string("vpc_cidr")
    assert (error.value.path, str(error.value)) == ("network.vpc_cidr", "network.vpc_cidr: is required")


@pytest.mark.parametrize("content", ["{not json", None])
def test_a_data_file_that_is_not_json_or_missing_is_named_in_the_error(tmp_path, content):
    from cdk.config.bedrock import load_catalog
    from cdk.config.prompt_catalog import load_prompt_catalog

    path = tmp_path / "catalog.json"
    if content is not None:
        path.write_text(content)
    for loader in (load_catalog, load_prompt_catalog):
        with pytest.raises(ConfigError, match=r"^catalog\.json: cannot be read as JSON"):
            loader(path)
