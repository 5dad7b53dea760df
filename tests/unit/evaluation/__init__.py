"""Tests of the evaluation metrics (lambdas/evaluation_worker), datasets and CLI (evaluation/)."""

import sys
from pathlib import Path

_WORKER_SRC = str(Path(__file__).resolve().parents[3] / "lambdas" / "evaluation_worker")
if _WORKER_SRC not in sys.path:
    sys.path.insert(0, _WORKER_SRC)
