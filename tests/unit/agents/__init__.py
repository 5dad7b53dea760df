"""Tests of lambdas/agent_runtime (the AgentCore Runtime agent) and of the orchestrator's Gateway tool target.
Both asset roots go on sys.path, as in their runtimes."""

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[3] / "lambdas"
for _src in (str(_ROOT / "agent_runtime"), str(_ROOT / "orchestrator")):
    if _src not in sys.path:
        sys.path.insert(0, _src)
