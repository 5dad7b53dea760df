"""Tests of the playground's dev server (playground_dev/): the orchestrator's asset root on sys.path, as for the
orchestrator tests."""

from ..orchestrator import _ORCHESTRATOR_SRC  # noqa: F401 - puts lambdas/orchestrator on sys.path
