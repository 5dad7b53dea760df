"""Tests of lambdas/orchestrator/safety. The Lambda asset root (lambdas/orchestrator) is put on
sys.path here, as it is on Lambda, so the package is imported as ``safety``."""

import sys
from pathlib import Path

_ORCHESTRATOR_SRC = str(Path(__file__).resolve().parents[3] / "lambdas" / "orchestrator")
if _ORCHESTRATOR_SRC not in sys.path:
    sys.path.insert(0, _ORCHESTRATOR_SRC)
