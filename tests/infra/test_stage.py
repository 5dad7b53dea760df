"""The stage composes the environment: names, tags, regions, and no synth-time lookups."""

from __future__ import annotations

from cdk.config import load_app_config
from tests.infra.synth import cdk_context


def test_every_configured_environment_is_synthesized(synthesized):
    assert synthesized.environments() == sorted(cdk_context()["environments"])


def test_stack_names_carry_project_and_environment(synthesized):
    account_stacks = {place.stage_id: place.stack_name for place in load_app_config(cdk_context()).account_places}
    for stack in synthesized.stacks:
        if stack.environment in account_stacks:  # one per account and region: genai-account-<region>
            assert stack.stack_name == account_stacks[stack.environment]
        else:
            assert stack.stack_name.startswith(f"genai-{stack.environment}-"), stack.stack_name


def test_every_taggable_resource_is_tagged_with_project_and_environment(synthesized):
    for stack in synthesized.stacks:
        for logical_id, resource in stack.resources.items():
            tags = resource.get("Properties", {}).get("Tags")
            if not isinstance(tags, list):
                continue  # untaggable resource type, or a map-style Tags property checked elsewhere
            keys = {t["Key"]: t["Value"] for t in tags if isinstance(t, dict) and "Key" in t}
            assert keys.get("project") == "genai", (stack.stack_name, logical_id)
            assert keys.get("environment") == stack.environment, (stack.stack_name, logical_id)


def test_stacks_are_pinned_to_their_environment_region(synthesized):
    regions = {name: env["region"] for name, env in cdk_context()["environments"].items()}
    regions |= {place.stage_id: place.region for place in load_app_config(cdk_context()).account_places}
    for manifest in synthesized.manifests():
        for artifact in manifest["artifacts"].values():
            if artifact.get("type") == "aws:cloudformation:stack":
                env_name = artifact["displayName"].split("/")[0]
                assert artifact["environment"].endswith(f"/{regions[env_name]}"), artifact["environment"]


def test_synth_needs_no_context_lookups(synthesized):
    for manifest in synthesized.manifests():
        assert not manifest.get("missing"), f"synth asked for lookups: {manifest.get('missing')}"
