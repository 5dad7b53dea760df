"""`make deploy` / `make destroy` preflight: no credentials or no network fail in seconds with a message;
credentials for the wrong account are refused; a protected environment is not destroyed by accident."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys

import pytest

from tests.infra.synth import ROOT, cdk_context

_spec = importlib.util.spec_from_file_location("preflight", ROOT / "scripts" / "preflight.py")
preflight = sys.modules.setdefault("preflight", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(preflight)


@pytest.fixture
def no_aws(monkeypatch, tmp_path):
    """An environment with no AWS credentials anywhere (variables, files, instance metadata)."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    (tmp_path / "empty").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "empty"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "empty"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


@pytest.fixture
def unused_endpoint(monkeypatch):
    """Every AWS endpoint (STS and instance metadata) is a loopback listener; yields a function that says
    whether anyone connected to it. "Fails at once" means no network attempt (so no retry or timeout to
    wait for), not a wall-clock bound a loaded machine can break."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint)
    listener.setblocking(False)

    def contacted() -> bool:
        try:
            listener.accept()[0].close()
        except BlockingIOError:
            return False
        return True

    yield contacted
    listener.close()


def test_no_credentials_fail_at_once_with_what_to_do(no_aws, unused_endpoint):
    with pytest.raises(preflight.PreflightError, match=r"no AWS credentials found.*aws sso login"):
        preflight.caller_identity("eu-west-1")
    assert not unused_endpoint()


def test_an_sts_endpoint_that_never_answers_fails_within_the_timeout_without_retrying(no_aws, monkeypatch):
    black_hole = socket.socket()
    black_hole.bind(("127.0.0.1", 0))
    black_hole.listen(8)  # the kernel accepts connections; nobody ever answers
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-example")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{black_hole.getsockname()[1]}")
    monkeypatch.setattr(preflight, "READ_TIMEOUT_SECONDS", 1)
    try:
        with pytest.raises(preflight.PreflightError, match="cannot reach AWS STS in eu-west-1"):
            preflight.caller_identity("eu-west-1")
        # One attempt, no retries: the listener was offered exactly one connection (counted, not timed).
        black_hole.setblocking(False)
        offered = 0
        while True:
            try:
                black_hole.accept()[0].close()
            except BlockingIOError:
                break
            offered += 1
        assert offered == 1
    finally:
        black_hole.close()


def test_credentials_for_another_account_than_the_environment_are_refused(no_aws, monkeypatch):
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-example")
    with mock_aws():
        caller = preflight.caller_identity("eu-west-1")
    assert caller.account == "123456789012"
    context = cdk_context()
    context["environments"]["prod"]["account"] = "999999999999"
    prod = preflight.environment_config("prod", context)
    with pytest.raises(preflight.PreflightError, match=r"credentials are for account 123456789012.*is 999999999999"):
        preflight.check_account(prod, caller)
    preflight.check_account(preflight.environment_config("dev", context), caller)  # no account configured: fine


@pytest.mark.parametrize(
    ("environment", "confirm", "allowed"),
    [("dev", None, True), ("prod", None, False), ("prod", "yes", False), ("prod", "destroy-dev", False),
     ("prod", "destroy-prod", True), ("staging", None, False), ("staging", "destroy-staging", True)],
)
def test_destroy_of_an_environment_that_retains_data_or_is_prod_needs_an_explicit_confirmation(environment, confirm, allowed):
    env = preflight.environment_config(environment)
    if allowed:
        preflight.check_destroy_allowed(env, confirm)
    else:
        with pytest.raises(preflight.PreflightError, match=f"CONFIRM=destroy-{environment}"):
            preflight.check_destroy_allowed(env, confirm)


def test_a_prod_named_environment_is_protected_even_when_it_does_not_retain_data():
    context = cdk_context()
    context["environments"]["prod"]["removal_policy"] = "destroy"
    # a prod that keeps nothing would give the shared account stack shorter retention than staging: own account
    context["environments"]["prod"]["account"] = "999999999999"
    with pytest.raises(preflight.PreflightError, match="is a production environment"):
        preflight.check_destroy_allowed(preflight.environment_config("prod", context), None)


def test_the_script_exits_2_with_one_line_when_there_are_no_credentials(no_aws, unused_endpoint):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "preflight.py"), "deploy", "--env", "dev"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("make deploy ENV=dev: no AWS credentials found")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not unused_endpoint()


def test_destroy_refuses_before_looking_for_credentials(no_aws):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "preflight.py"), "destroy", "--env", "prod",
                             "--confirm", ""], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "refusing to destroy prod" in result.stderr and "credentials" not in result.stderr.split("(")[0]


def test_an_unknown_environment_is_a_configuration_error():
    with pytest.raises(preflight.PreflightError, match="'qa' is not an environment; allowed values: dev, staging, prod"):
        preflight.environment_config("qa")
