"""Let stacks import the runtime's contracts (environment-variable settings, request schemas) from the function
folders under ``lambdas/``, so each contract is written once and both sides use it.

Each ``lambdas/<function>/`` folder is a Lambda asset root whose top-level packages are importable on Lambda;
appending those folders to ``sys.path`` makes them importable here too. Runtime code never imports ``cdk/`` or
``stacks/``; contract modules import only the standard library, so importing them costs synth nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

LAMBDAS_ROOT = Path(__file__).resolve().parent.parent / "lambdas"


def expose_runtime_packages() -> None:
    """Append every function folder to ``sys.path`` (idempotent; top-level package names are unique)."""
    for function_dir in sorted(path for path in LAMBDAS_ROOT.iterdir() if path.is_dir()):
        if str(function_dir) not in sys.path:
            sys.path.append(str(function_dir))


expose_runtime_packages()
