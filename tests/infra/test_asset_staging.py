"""Built code assets reach the cloud assembly as hard links of the build (cdk/components/python_function/staging.py),
and aws-cdk-lib's asset manifests point at exactly those directories."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cdk.components.python_function import built_asset, built_asset_hash
from cdk.components.python_function.staging import link_into_assembly, staged_directory_name

BUILT_ASSETS = ("orchestrator", "agent_runtime", "kb_ingestion", "evaluation_worker")


def _files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")}


def _manifest_sources(outdir: Path) -> set[str]:
    sources = set()
    for manifest in outdir.glob("assembly-*/*.assets.json"):
        for asset in json.loads(manifest.read_text()).get("files", {}).values():
            sources.add(Path(asset["source"]["path"]).name)
    return sources


@pytest.mark.parametrize("asset", BUILT_ASSETS)
def test_a_built_asset_is_staged_as_hard_links_of_the_build_and_used_by_the_manifests(synthesized, asset):
    build = built_asset(asset)
    staged_name = staged_directory_name(built_asset_hash(asset))
    staged = synthesized.outdir / staged_name

    assert staged_name in _manifest_sources(synthesized.outdir), "aws-cdk-lib staged this build somewhere else"
    assert _files(staged) == _files(build)
    if os.stat(build).st_dev != os.stat(synthesized.outdir).st_dev:
        pytest.skip("the assembly is on another filesystem than the build: aws-cdk-lib copied it (the fallback)")
    assert all(os.path.samefile(path, build / path.relative_to(staged)) for path in staged.rglob("*") if path.is_file())


def test_a_build_with_a_symbolic_link_is_left_to_aws_cdk_libs_copy(tmp_path):
    from aws_cdk import App, Stack

    build = tmp_path / "build"
    (build / "pkg").mkdir(parents=True)
    (build / "pkg" / "module.py").write_text("VALUE = 1\n")
    (build / "link.py").symlink_to(build / "pkg" / "module.py")
    outdir = tmp_path / "cdk.out"
    stack = Stack(App(outdir=str(outdir)), "S")

    assert link_into_assembly(stack, build, "stamp") is None
    assert not (outdir / staged_directory_name("stamp")).exists()
    assert not list(outdir.glob("asset.*"))


def test_a_staged_directory_is_linked_once_and_never_partially(tmp_path):
    from aws_cdk import App, Stack

    build = tmp_path / "build"
    (build / "pkg" / "empty").mkdir(parents=True)
    (build / "pkg" / "module.py").write_text("VALUE = 1\n")
    outdir = tmp_path / "cdk.out"
    stack = Stack(App(outdir=str(outdir)), "S")

    staged = link_into_assembly(stack, build, "stamp")
    assert staged == outdir / staged_directory_name("stamp")
    assert _files(staged) == _files(build)  # the empty directory too, as aws-cdk-lib's copy makes it
    assert link_into_assembly(stack, build, "stamp") == staged
    assert [path.name for path in outdir.iterdir()] == [staged.name]
