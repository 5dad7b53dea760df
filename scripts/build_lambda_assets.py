#!/usr/bin/env python3
"""Build every Lambda code asset offline (no Docker): sources plus vendored wheels for the target runtime.

    python scripts/build_lambda_assets.py          # builds .build/lambdas/<function>/ for each lambdas/<function>/

Dependencies come from ``lambdas/<function>/requirements.txt`` as binary wheels for Lambda's
platform (manylinux, arm64, the runtime's Python), so the asset is the same on any build machine.
They are installed with ``--no-deps``: each requirements file pins its full closure, less what the
runtime already provides (boto3, botocore and their dependencies), which would otherwise be vendored
through a transitive requirement (aws-xray-sdk -> botocore) and shadow the runtime's copy.
A stamp of the inputs' hash skips a rebuild when nothing changed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOT = ROOT / "lambdas"
BUILD_ROOT = ROOT / ".build" / "lambdas"
# Keep in step with cdk/components/python_function (LAMBDA_RUNTIME, LAMBDA_ARCHITECTURE).
TARGET_PYTHON = "3.14"
TARGET_PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "tests", "requirements.txt", ".pytest_cache")


def _inputs_digest(source: Path) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())  # a change to how assets are built rebuilds them
    for path in sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(source)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build(function: str) -> Path:
    source = SOURCE_ROOT / function
    target = BUILD_ROOT / function
    stamp = BUILD_ROOT / f".{function}.sha256"
    digest = _inputs_digest(source)
    if target.is_dir() and stamp.is_file() and stamp.read_text() == digest:
        return target
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=IGNORED)
    requirements = source / "requirements.txt"
    if requirements.is_file() and any(
        line.strip() and not line.lstrip().startswith("#") for line in requirements.read_text().splitlines()
    ):
        platforms = [arg for platform in TARGET_PLATFORMS for arg in ("--platform", platform)]
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-compile", "--no-deps", "--only-binary=:all:", "--implementation", "cp", "--python-version", TARGET_PYTHON,
             *platforms, "--target", str(target), "-r", str(requirements)],
            check=True,
        )
        for dist_info_tests in target.glob("**/tests"):
            if dist_info_tests.is_dir() and dist_info_tests.parent != target:
                shutil.rmtree(dist_info_tests)
    stamp.write_text(digest)
    return target


def build_all() -> list[Path]:
    BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    return [build(path.name) for path in sorted(SOURCE_ROOT.iterdir()) if path.is_dir() and not path.name.startswith((".", "_"))]


if __name__ == "__main__":
    for built in build_all():
        print(f"built {built.relative_to(ROOT)}")
