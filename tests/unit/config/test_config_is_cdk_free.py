"""Config builds construct props without the CDK: importing ``cdk.config`` (and through it every
component's props.py) must not import aws_cdk, constructs or jsii."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_importing_the_config_package_does_not_import_aws_cdk():
    probe = (
        "import sys, cdk.config, cdk.config.environment\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'constructs', 'jsii'))\n"
        "print(loaded[:5])\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
