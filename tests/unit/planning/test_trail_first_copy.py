"""`make cost-report` prices the CloudTrail trail once per account: the first account stack's trail is the free
copy of management events; a second region's of the same account pays."""

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


def test_only_the_first_account_stack_of_an_account_gets_the_free_copy():
    script = _script()
    places = load_app_config(cdk_context()).account_places
    assert len(places) == 1  # the shipped config: one account and region
    [place] = places
    assert script.trail_first_copies(places) == {place.stage_id}

    second_region = dataclasses.replace(place, region="us-east-1")
    other_account = dataclasses.replace(place, account="111122223333")
    external = dataclasses.replace(place, account="444455556666", external=True)
    assert script.trail_first_copies([place, second_region, other_account, external]) == {
        place.stage_id, other_account.stage_id}

    strictest = place.strictest
    covered = dataclasses.replace(place, strictest=dataclasses.replace(strictest, observability=dataclasses.replace(
        strictest.observability, cloudtrail=dataclasses.replace(strictest.observability.cloudtrail,
                                                                organization_trail_covers_account=True))))
    assert script.trail_first_copies([covered]) == set()
