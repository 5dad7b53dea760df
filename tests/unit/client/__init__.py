"""Tests of the command-line client (``client/``, the ``genai-call`` console script)."""

import sys
from pathlib import Path

_CLIENT_SRC = str(Path(__file__).resolve().parents[3] / "client")
if _CLIENT_SRC not in sys.path:
    sys.path.insert(0, _CLIENT_SRC)
