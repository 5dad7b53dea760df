"""The delivery configuration (top-level `pipeline` and `github` keys): defaults, validation, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cdk.config import ConfigError, load_app_config
from tests.infra.synth import ROOT, cdk_context

ACCOUNT = "111111111111"
CONNECTION_ARN = f"arn:aws:codeconnections:eu-west-1:{ACCOUNT}:connection/12345678-1234-1234-1234-123456789012"


def _context(pipeline=None, github=None, **environments):
    environments = environments or {"dev": {"region": "eu-west-1"},
                                    "staging": {"region": "eu-west-1"},
                                    "prod": {"region": "eu-west-1", "account": "222222222222"}}
    context = {"project": "genai", "environments": environments}
    if pipeline is not None:
        context["pipeline"] = pipeline
    if github is not None:
        context["github"] = github
    return context


def _pipeline(**overrides):
    return {"account": ACCOUNT, "region": "eu-west-1", "connection_arn": CONNECTION_ARN,
            "repository": "example-org/genai-stack", **overrides}


def test_without_the_keys_there_is_no_pipeline_and_no_github_deploy_roles():
    config = load_app_config(cdk_context())
    assert config.pipeline is None and config.github is None


def test_pipeline_defaults_deploy_dev_staging_prod_with_an_approval_before_prod():
    pipeline = load_app_config(_context(pipeline=_pipeline())).pipeline
    assert pipeline.environments == ("dev", "staging", "prod")
    assert pipeline.requires_approval == ("prod",)
    assert (pipeline.branch, pipeline.smoke_test, pipeline.skip_reason) == ("main", True, None)


def test_cross_account_is_detected_from_the_environments_accounts():
    config = load_app_config(_context(pipeline=_pipeline()))
    assert config.pipeline.cross_account(config.environments)
    same = load_app_config(_context(pipeline=_pipeline(), dev={"region": "eu-west-1"}))
    assert not same.pipeline.cross_account(same.environments)


def test_a_pipeline_without_a_connection_arn_is_skipped_with_a_reason():
    pipeline = load_app_config(_context(pipeline=_pipeline(connection_arn=None))).pipeline
    assert "pipeline.connection_arn is not set" in pipeline.skip_reason
    assert "example-org/genai-stack" in pipeline.skip_reason


def test_a_disabled_block_keeps_its_settings_unvalidated():
    assert load_app_config(_context(pipeline={"enabled": False, "account": "draft"})).pipeline is None
    assert load_app_config(_context(github={"enabled": False})).github is None


@pytest.mark.parametrize(
    ("pipeline", "path", "fragment"),
    [
        (_pipeline(account="1234"), "pipeline.account", "12-digit"),
        (_pipeline(region="europe"), "pipeline.region", "an AWS region"),
        (_pipeline(connection_arn="arn:aws:s3:::bucket"), "pipeline.connection_arn", "arn:aws:codeconnections:"),
        (_pipeline(repository="genai-stack"), "pipeline.repository", "owner/name"),
        (_pipeline(repository="org/*"), "pipeline.repository", "owner/name"),
        (_pipeline(branch="feature/*"), "pipeline.branch", "a branch name"),
        (_pipeline(environments=["dev", "qa"]), "pipeline.environments[1]", "allowed values: dev, staging, prod"),
        (_pipeline(environments=[]), "pipeline.environments", "expected 1 to any items"),
        (_pipeline(environments=["dev", "dev"]), "pipeline.environments", "contains duplicates"),
        (_pipeline(environments=["dev", "prod"], requires_approval=["staging"]), "pipeline.requires_approval[0]",
         "not a pipeline environment; allowed values: dev, prod"),
        (_pipeline(smoke_test="yes"), "pipeline.smoke_test", "expected true or false"),
        (_pipeline(conection_arn=CONNECTION_ARN), "pipeline.conection_arn", "did you mean 'connection_arn'?"),
        ({"region": "eu-west-1", "repository": "o/r"}, "pipeline.account", "is required"),
        ("arn:aws:codeconnections:...", "pipeline", "expected an object"),
    ],
)
def test_bad_pipeline_values_name_the_key_and_the_allowed_values(pipeline, path, fragment):
    with pytest.raises(ConfigError) as error:
        load_app_config(_context(pipeline=pipeline))
    assert error.value.path == path
    assert fragment in str(error.value)


def test_github_subjects_are_scoped_to_repository_environment_and_branch():
    github = load_app_config(_context(github={"repository": "example-org/genai-stack", "branch": "release"})).github
    assert github.subject("prod") == "repo:example-org/genai-stack:environment:prod:ref:refs/heads/release"
    default_subject = load_app_config(_context(github={"repository": "o/r", "subject_format": "environment"})).github
    assert default_subject.subject("dev") == "repo:o/r:environment:dev"
    assert (github.region, github.bootstrap_qualifier, github.create_provider) == ("eu-west-1", "hnb659fds", True)


@pytest.mark.parametrize(
    ("github", "path", "fragment"),
    [
        ({}, "github.repository", "is required"),
        ({"repository": "o/r", "environments": ["dev", "qa"]}, "github.environments[1]", "allowed values: dev, staging, prod"),
        ({"repository": "o/r", "subject_format": "ref"}, "github.subject_format",
         "allowed values: environment-and-ref, environment"),
        ({"repository": "o/r", "bootstrap_qualifier": "way-too-long-qualifier"}, "github.bootstrap_qualifier",
         "cdk bootstrap --qualifier"),
        ({"repository": "o/r", "account": "12"}, "github.account", "12-digit"),
        ({"repository": "o/r", "create_provider": "no"}, "github.create_provider", "expected true or false"),
        ({"repository": "o/r", "branches": ["main"]}, "github.branches", "unknown key"),
    ],
)
def test_bad_github_values_name_the_key_and_the_allowed_values(github, path, fragment):
    with pytest.raises(ConfigError) as error:
        load_app_config(_context(github=github))
    assert error.value.path == path
    assert fragment in str(error.value)


def test_the_app_skips_a_pipeline_without_connection_arn_with_one_stderr_line_and_still_synthesizes(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    from build_lambda_assets import build_all

    build_all()  # as the synth fixture does: the app refuses stale Lambda assets
    context = {**cdk_context(), "pipeline": _pipeline(connection_arn=None)}
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    skip_lines = [line for line in result.stderr.splitlines() if "skipping the pipeline stack" in line]
    assert len(skip_lines) == 1 and "pipeline.connection_arn is not set" in skip_lines[0]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert {name for name in manifest["artifacts"] if name.startswith("assembly-")} == {
        f"assembly-{name}" for name in [*cdk_context()["environments"], "account-eu-west-1"]}
    assert not any(a.get("type") == "aws:cloudformation:stack" for a in manifest["artifacts"].values()), \
        "no top-level (pipeline) stack without a connection"
