"""Prod keeps its data: stateful resources are retained, and their logical IDs do not move."""

from __future__ import annotations

import copy
import json

from tests.infra.stateful_manifest import MANIFEST_PATH, STATEFUL_TYPES, diff, stateful_resources
from tests.infra.synth import cdk_context


def test_stateful_logical_ids_match_the_committed_manifest(synthesized):
    problems = diff(json.loads(MANIFEST_PATH.read_text()), stateful_resources(synthesized))
    assert not problems, "stateful resources changed; if deliberate, run `make manifest`:\n" + "\n".join(problems)


def test_a_moved_logical_id_is_reported_as_lost_data(synthesized):
    expected = stateful_resources(synthesized)
    stack, resources = next(iter(expected.items()))
    moved = copy.deepcopy(expected)
    logical_id = next(iter(resources))
    moved[stack][logical_id + "Renamed"] = moved[stack].pop(logical_id)
    problems = diff(expected, moved)
    assert any(logical_id in p and "is gone" in p for p in problems), problems


def test_stateful_resources_are_retained_where_config_says_retain(synthesized):
    retained_envs = {name for name, env in cdk_context()["environments"].items()
                     if env.get("removal_policy", "retain") == "retain"}
    assert "prod" in retained_envs
    for stack in synthesized.stacks:
        if stack.environment not in retained_envs:
            continue
        for logical_id, resource in stack.resources.items():
            if resource["Type"] in STATEFUL_TYPES:
                # RetainExceptOnCreate: retained like Retain, except when the create itself rolls back
                assert resource.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate"), (stack.stack_name,
                                                                                               logical_id)
                assert resource.get("UpdateReplacePolicy") == "Retain", (stack.stack_name, logical_id)
