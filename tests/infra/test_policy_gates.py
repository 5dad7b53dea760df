"""cdk-nag (AwsSolutions, Serverless, NIST 800-53 rev 5) and cfn-lint report nothing unacknowledged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.infra.synth import ROOT


def _violations(report):
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                yield f"{violation['ruleName']} at {construct['constructPath']}: {violation['description'][:120]}"


def test_cdk_nag_has_no_unacknowledged_findings(synthesized):
    report = synthesized.validation_report()
    findings = sorted(_violations(report)) if report else []
    assert not findings, "cdk-nag findings:\n" + "\n".join(findings)
    assert synthesized.validation_error is None, synthesized.validation_error


def test_cfn_lint_reports_no_errors_or_warnings(synthesized):
    templates = [str(stack.template_file) for stack in synthesized.stacks]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", *templates],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
