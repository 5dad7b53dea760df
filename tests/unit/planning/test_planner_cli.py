"""``python -m cdk.planning``: a readable table, exit 2 with a clear message on bad arguments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cdk.planning.__main__ import main

ROOT = Path(__file__).resolve().parents[3]


def test_prints_the_plan(capsys):
    assert main(["--params", "7e9", "--instance", "ml.trn1.32xlarge", "--count", "4"]) == 0
    out = capsys.readouterr().out
    rows = {line[:36].strip(): line[36:].strip() for line in out.splitlines()}
    assert rows["training FLOPs (6 N D)"] == "5.880e+21"
    assert rows["compute-optimal tokens (20 N)"].startswith("140B")
    assert rows["instance-hours"] == "1,343.2"
    assert "wall time on 4 instances (planned)" in out
    assert "wall time on 1 instance " in out
    assert "prices as of" in out


def test_token_override_and_verdict(capsys):
    assert main(["--params", "175B", "--instance", "ml.trn1.32xlarge", "--tokens", "300B"]) == 0
    assert "under-trained" in capsys.readouterr().out


def test_max_runtime_warning_goes_to_stderr(capsys):
    assert main(["--params", "7e9", "--instance", "ml.trn1.32xlarge", "--max-runtime-hours", "24"]) == 0
    assert "WARNING: max runtime 24.0 h is shorter" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--params", "7e9", "--instance", "ml.inf2.xlarge"], "allowed: ml.trn1.2xlarge, ml.trn1.32xlarge, ml.trn1n.32xlarge"),
        (["--params", "7e9", "--instance", "trn1"], "allowed:"),
        (["--params", "lots", "--instance", "ml.trn1.32xlarge"], "--params"),
        (["--params", "7e9", "--instance", "ml.trn1.32xlarge", "--mfu", "1.5"], "0 < mfu <= 1"),
        (["--params", "7e9", "--instance", "ml.trn1.32xlarge", "--count", "0"], "instance_count"),
        (["--params", "7e9", "--instance", "ml.trn1.32xlarge", "--region", "virginia"], "region"),
        (["--instance", "ml.trn1.32xlarge"], "--params"),
    ],
)
def test_bad_arguments_exit_2(argv, fragment, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert fragment in capsys.readouterr().err


def test_module_entry_point():
    completed = subprocess.run(
        [sys.executable, "-m", "cdk.planning", "--params", "70B", "--instance", "ml.trn9.xlarge"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "allowed: ml.trn1.2xlarge" in completed.stderr
