"""Tests of lambdas/orchestrator (the API Lambda). The Lambda asset root is put on sys.path, as it
is on Lambda, so the code is imported as ``handler``, ``orchestrator`` and ``safety``."""

import sys
from pathlib import Path

_ORCHESTRATOR_SRC = str(Path(__file__).resolve().parents[3] / "lambdas" / "orchestrator")
if _ORCHESTRATOR_SRC not in sys.path:
    sys.path.insert(0, _ORCHESTRATOR_SRC)
