"""Staging a built code asset into the cloud assembly by hard links instead of a copy.

aws-cdk-lib copies every directory asset into the assembly (``cdk.out/asset.<hash>/``) file by file; for our built
assets (sources plus vendored wheels: about 3,300 files and 47 MB over the app) that copy was about 0.9 s of CPU per
``cdk synth``. A build under ``.build/lambdas/`` is never changed in place (scripts/build_lambda_assets.py deletes
and rebuilds it), so the assembly can share its files: we hard-link them to the path aws-cdk-lib would copy to, and
aws-cdk-lib, finding the staged directory present, does not copy again. The assembly's content, its asset manifests
and the templates are the same as with the copy.

Verified against aws-cdk-lib 2.275 (core/lib/asset-staging.js): with a custom ``assetHash`` and no bundling the
staged path is ``<asset outdir>/asset.<sha256 hex of the custom hash>`` (``calculateHash`` for
``AssetHashType.CUSTOM``, ``renderAssetFilename``), ``stageAsset`` returns early when that path exists, and
``copyDirectory`` copies files and directories as they are, follows symbolic links that leave the directory and
excludes ``.is_custom_resource``. A build with a symbolic link or that file is left to aws-cdk-lib's copy, as is any
failure to link (another filesystem, no hard links): the copy then happens as before. A test checks that the
function's asset manifest points at the linked directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from aws_cdk import Stage
from constructs import IConstruct

#: cx-api DISABLE_ASSET_STAGING_CONTEXT (``cdk synth --no-staging``): assets stay where they are.
_STAGING_DISABLED_CONTEXT = "aws:cdk:disable-asset-staging"
#: What aws-cdk-lib's AssetStaging always excludes from a copied directory.
_ALWAYS_EXCLUDED = ".is_custom_resource"


def staged_directory_name(asset_hash: str) -> str:
    """The directory aws-cdk-lib stages a directory asset with this custom ``asset_hash`` to (no bundling)."""
    return "asset." + hashlib.sha256(asset_hash.encode()).hexdigest()


def link_into_assembly(scope: IConstruct, code_dir: Path, asset_hash: str | None) -> Path | None:
    """Hard-link ``code_dir`` to where aws-cdk-lib will stage it for ``scope``'s assembly; the linked directory, or
    None when aws-cdk-lib is left to copy (no custom hash, staging disabled, a link or filesystem it cannot share)."""
    if asset_hash is None or scope.node.try_get_context(_STAGING_DISABLED_CONTEXT):
        return None
    stage = Stage.of(scope)
    if stage is None:
        return None
    target = Path(stage.asset_outdir) / staged_directory_name(asset_hash)
    if target.exists():
        return target
    partial = target.with_name(f"{target.name}.linking-{os.getpid()}")
    try:
        if not _link_tree(code_dir, partial):
            shutil.rmtree(partial, ignore_errors=True)
            return None
        partial.rename(target)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        return None
    return target


def _link_tree(source: Path, target: Path) -> bool:
    """Every directory and file of ``source`` under ``target`` (files hard-linked); False on anything
    aws-cdk-lib's copy would treat differently (a symbolic link, an excluded file)."""
    for directory, subdirectories, files in os.walk(source):
        relative = Path(directory).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in (*subdirectories, *files):
            path = Path(directory) / name
            if path.is_symlink() or name == _ALWAYS_EXCLUDED:
                return False
        for name in files:
            os.link(Path(directory) / name, target / relative / name)
    return True
