"""The training code as a reproducible ``sourcedir.tar.gz`` S3 asset (what SageMaker's training toolkit extracts)."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, BundlingOutput, DockerImage, ILocalBundling
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

_SOURCE_EXCLUDES = ("__pycache__", ".pytest_cache", ".mypy_cache")


@jsii.implements(ILocalBundling)
class _SourceTarball:
    """Packs a directory as ``sourcedir.tar.gz``, reproducibly: sorted entries, fixed mtime/owner, no caches, so
    the asset hash only changes with the code."""

    def __init__(self, source: Path) -> None:
        self._source = source

    def try_bundle(self, output_dir: str, *_options: object, **_kw: object) -> bool:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(self._source.rglob("*")):
                relative = path.relative_to(self._source)
                if any(part in _SOURCE_EXCLUDES for part in relative.parts) or path.suffix == ".pyc":
                    continue
                info = tar.gettarinfo(str(path), arcname=str(relative))
                info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
                info.mode = 0o755 if path.is_dir() else 0o644
                if path.is_file():
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
                else:
                    tar.addfile(info)
        with open(os.path.join(output_dir, "sourcedir.tar.gz"), "wb") as out, \
                gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
            gz.write(buffer.getvalue())
        return True


def source_asset(scope: Construct, construct_id: str, source_directory: str) -> s3_assets.Asset:
    return s3_assets.Asset(
        scope, construct_id,
        path=source_directory,
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("local-bundling-only"),  # never pulled: local bundling always succeeds
            local=_SourceTarball(Path(source_directory)),
            output_type=BundlingOutput.ARCHIVED,
        ),
    )
