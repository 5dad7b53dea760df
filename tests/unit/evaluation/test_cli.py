"""The CLI end to end: ``make evaluate-local`` (the local handler, AWS answered by the project's fakes) and
``make evaluate`` failing fast without credentials."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaluation", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env or dict(os.environ), check=False)


def test_evaluate_local_runs_the_handler_and_writes_both_reports(tmp_path):
    done = _cli("--local", "--use-cases", "answer,classify,chat", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["run"]["source"] == "stub"
    rows = {(r["use_case"], r["model"]): r for r in report["results"]}
    assert len(rows) == 6  # 3 use cases x 2 stub models
    for row in rows.values():
        assert row["operational"]["error_rate"] == 0.0, row  # every request went through the real handler
        assert row["operational"]["cost_per_1000_requests_usd"] > 0
    assert "outputs come from stubs" in (tmp_path / "report.md").read_text()
    assert done.stdout.count("| model | items |") == 3
    lines = (tmp_path / "responses.jsonl").read_text().splitlines()
    assert len(lines) == 2 * sum(1 for p in ("answer", "classify", "chat")
                                 for _ in (ROOT / "evaluation" / "datasets" / f"{p}.jsonl").read_text().splitlines())


def test_evaluate_fails_fast_without_credentials(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_EC2_METADATA_DISABLED="true")
    done = _cli("--env", "staging", "--use-cases", "answer", env=env)
    assert done.returncode != 0
    assert "no AWS credentials found" in done.stderr
