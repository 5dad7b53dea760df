"""AWS answered locally, for everything that runs the orchestrator off AWS: the tests, ``make playground``
(playground_dev/), ``make evaluate-local`` and the benchmarks. See README.md beside this file.

Development and tests only: runtime code under ``lambdas/`` never imports this package
(tests/unit/test_localaws.py checks it), and nothing here is deployed.
"""
