"""`make cost-report` prices the CloudTrail trail once per account: the first owner's trail is the free copy."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

from cdk.config import load_app_config
from tests.infra.synth import cdk_context

ROOT = Path(__file__).resolve().parents[3]


def _script():
    spec = importlib.util.spec_from_file_location("cost_report_script", ROOT / "scripts" / "cost_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_only_the_first_trail_owner_of_an_account_gets_the_free_copy():
    script = _script()
    environments = list(load_app_config(cdk_context()).environments)
    owners = [env.name for env in environments if env.owns_account_singletons]
    assert script.trail_first_copies(environments) == {owners[0]}  # the shipped config: one account, one owner

    [owner] = [env for env in environments if env.name == owners[0]]
    second_region = dataclasses.replace(owner, name="other-region", region="us-east-1")
    other_account = dataclasses.replace(owner, name="other-account", account="111122223333")
    assert script.trail_first_copies([owner, second_region, other_account]) == {owner.name, "other-account"}
    covered = dataclasses.replace(owner, observability=dataclasses.replace(
        owner.observability, cloudtrail=dataclasses.replace(owner.observability.cloudtrail,
                                                            organization_trail_covers_account=True)))
    assert script.trail_first_copies([covered]) == set()
