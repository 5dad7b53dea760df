#!/usr/bin/env python3
"""Checks that run before a workstation deploy or destroy touches an AWS account.

    python scripts/preflight.py deploy --env dev
    python scripts/preflight.py destroy --env prod --confirm destroy-prod

``deploy`` (and ``destroy``) first ask STS who the caller is, with a few seconds of timeout and no
retries, so that missing or expired credentials fail at once with a message instead of a hang; then
check that the credentials belong to the environment's configured account. ``destroy`` also refuses
an environment that retains its data or is named ``prod`` unless ``--confirm destroy-<env>`` is given.
Exit status: 0 go, 2 stop (the message says why).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 5
PROTECTED_NAMES = frozenset({"prod", "production"})


class PreflightError(Exception):
    """A reason not to go ahead, phrased for the person at the keyboard."""


@dataclass(frozen=True)
class Caller:
    account: str
    arn: str


def environment_config(name: str, context: dict | None = None):
    sys.path.insert(0, str(ROOT))
    from cdk.config import ConfigError, load_app_config

    context = context if context is not None else json.loads((ROOT / "cdk.json").read_text())["context"]
    try:
        return load_app_config({**context, "env": name}).environment(name)
    except ConfigError as error:
        raise PreflightError(f"invalid configuration: {error}") from None


def caller_identity(region: str) -> Caller:
    """``sts:GetCallerIdentity`` with short timeouts and a single attempt (no retry loop on a dead network)."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    config = Config(connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS,
                    retries={"total_max_attempts": 1, "mode": "standard"})
    try:
        identity = boto3.session.Session(region_name=region).client("sts", config=config).get_caller_identity()
    except NoCredentialsError:
        raise PreflightError(
            "no AWS credentials found. Sign in first, e.g. `aws sso login --profile <profile>` and "
            "`export AWS_PROFILE=<profile>`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN"
        ) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        raise PreflightError(f"AWS rejected the credentials ({code}): refresh them (e.g. `aws sso login`)") from None
    except (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError) as error:
        raise PreflightError(f"cannot reach AWS STS in {region} within {CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS}s "
                             f"({type(error).__name__}): check the network or proxy settings") from None
    except BotoCoreError as error:  # e.g. an SSO token that expired, a broken profile
        raise PreflightError(f"cannot use the AWS credentials: {error}") from None
    return Caller(account=identity["Account"], arn=identity["Arn"])


def check_account(env, caller: Caller) -> None:
    if env.account and env.account != caller.account:
        raise PreflightError(
            f"the credentials are for account {caller.account} ({caller.arn}) but environments.{env.name}.account "
            f"is {env.account}: switch profile before deploying {env.name}"
        )


def check_destroy_allowed(env, confirm: str | None) -> None:
    protected = env.retain_data or env.name in PROTECTED_NAMES
    token = f"destroy-{env.name}"
    if protected and confirm != token:
        why = "retains its data (removal_policy: retain)" if env.retain_data else "is a production environment"
        raise PreflightError(
            f"refusing to destroy {env.name}: it {why}. If you really mean it, run "
            f"`make destroy ENV={env.name} CONFIRM={token}` (retained buckets, tables, keys and log groups "
            "are left in the account and must be removed by hand)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("deploy", "destroy"))
    parser.add_argument("--env", required=True)
    parser.add_argument("--confirm", default=None, help="destroy-<env>, to destroy a protected environment")
    args = parser.parse_args(argv)
    try:
        env = environment_config(args.env)
        if args.action == "destroy":
            check_destroy_allowed(env, args.confirm or None)
        caller = caller_identity(os.environ.get("AWS_REGION") or env.region)
        check_account(env, caller)
    except PreflightError as error:
        print(f"make {args.action} ENV={args.env}: {error}", file=sys.stderr)
        return 2
    print(f"make {args.action} ENV={args.env}: as {caller.arn} in account {caller.account}, region {env.region}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
