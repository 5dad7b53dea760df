"""The evaluation CLI (``make evaluate`` / ``make evaluate-local``): datasets under ``datasets/``, run
against the deployed API or the local handler, scored by ``evaluation_metrics`` (the package the
evaluation worker Lambda runs, under lambdas/evaluation_worker/)."""

from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()  # evaluation_metrics (and the orchestrator, for the local runner) on sys.path
