"""The committed manifest of stateful resources' logical IDs, per stack.

A logical ID that moves makes CloudFormation replace the resource: create a new one, delete the old
one, and with it the data. The test compares the synthesized stateful resources with the manifest,
so such a refactor fails until the manifest is changed on purpose:

    make manifest      # rewrites tests/infra/stateful_manifest.json after a deliberate change
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

STATEFUL_TYPES = frozenset({
    "AWS::S3::Bucket",
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::SageMaker::ModelPackageGroup",
    "AWS::Cognito::UserPool",
    # Knowledge bases: the vectors (re-creatable only by a full re-ingestion) and what names them.
    "AWS::S3Vectors::VectorBucket",
    "AWS::S3Vectors::Index",
    "AWS::Bedrock::KnowledgeBase",
    "AWS::Bedrock::DataSource",
    # Agents: sessions and the long-term records extracted from them.
    "AWS::BedrockAgentCore::Memory",
})
MANIFEST_PATH = Path(__file__).with_name("stateful_manifest.json")


def stateful_resources(synthesized) -> dict[str, dict[str, str]]:
    manifest: dict[str, dict[str, str]] = {}
    for stack in synthesized.stacks:
        resources = {lid: r["Type"] for lid, r in stack.resources.items() if r["Type"] in STATEFUL_TYPES}
        if resources:
            manifest[stack.stack_name] = dict(sorted(resources.items()))
    return dict(sorted(manifest.items()))


def diff(expected: dict[str, dict[str, str]], actual: dict[str, dict[str, str]]) -> list[str]:
    """Human-readable differences; an empty list means nothing would be replaced or orphaned."""
    problems = []
    for stack in sorted(set(expected) | set(actual)):
        want, have = expected.get(stack, {}), actual.get(stack, {})
        for logical_id in sorted(set(want) - set(have)):
            problems.append(f"{stack}: {want[logical_id]} {logical_id} is gone (moved or deleted: its data would be lost)")
        for logical_id in sorted(set(have) - set(want)):
            problems.append(f"{stack}: {have[logical_id]} {logical_id} is new (not in the manifest)")
        for logical_id in sorted(set(want) & set(have)):
            if want[logical_id] != have[logical_id]:
                problems.append(f"{stack}: {logical_id} changed type {want[logical_id]} -> {have[logical_id]}")
    return problems


def main() -> None:
    import tempfile

    import tests.conftest  # noqa: F401 - puts the virtualenv's Node.js first on PATH for jsii
    from tests.infra.synth import synthesize

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the manifest from a fresh synth")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as outdir:
        actual = stateful_resources(synthesize(Path(outdir)))
    if args.write:
        MANIFEST_PATH.write_text(json.dumps(actual, indent=2) + "\n")
        print(f"wrote {MANIFEST_PATH} ({sum(map(len, actual.values()))} stateful resources)")
    else:
        problems = diff(json.loads(MANIFEST_PATH.read_text()), actual)
        print("\n".join(problems) or "manifest matches")


if __name__ == "__main__":
    main()
