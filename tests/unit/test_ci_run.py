"""`.ci/run` on a clean machine: it installs what `make test` needs before running it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_a_python3_without_venv_gets_python3_venv_before_make_test(tmp_path):
    """Debian ships python3 without its venv module (python3-venv holds ensurepip): `make test` then failed at its
    first step, `python3 -m venv`, because .ci/run only installed python3-venv when python3 itself was missing."""
    calls = tmp_path / "calls.log"
    _stub(tmp_path, "python3", f'[ "$1" = "-c" ] && exit 1; echo "python3 $*" >> {calls}')
    _stub(tmp_path, "apt-get", f'echo "apt-get $*" >> {calls}')
    _stub(tmp_path, "make", f'echo "make $*" >> {calls}')
    env = {**os.environ, "PATH": f"{tmp_path}:/usr/bin:/bin"}
    subprocess.run(["bash", str(ROOT / ".ci" / "run")], env=env, check=True, timeout=30)
    lines = calls.read_text().splitlines()
    installs = [line for line in lines if line.startswith("apt-get install")]
    assert installs and "python3-venv" in installs[0].split(), lines
    assert lines[-1] == "make test" and lines.index(installs[0]) < len(lines) - 1


def test_make_screenshots_installs_the_browser_like_make_test():
    """`make screenshots` runs the browser tests too, but did not depend on the `browser` target: on a fresh machine
    it failed where `make test` installs Debian's Chromium first."""
    plans = {target: subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60,
                                    check=True).stdout for target in ("test", "screenshots")}
    assert all("install -y -qq chromium" in plan for plan in plans.values()), plans["screenshots"][-500:]
