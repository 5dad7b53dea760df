"""Component packages export their CDK-free props eagerly and their constructs lazily (PEP 562), so
``cdk.config`` can import ``cdk.components.<name>.props`` without running ``aws_cdk`` (a test in
tests/unit/config/test_config_is_cdk_free.py keeps it so)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(package: str, modules: Mapping[str, tuple[str, ...]]) -> Callable[[str], object]:
    """A module ``__getattr__`` that imports ``package.<module>`` on first use of one of its names."""
    owner = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> object:
        if name not in owner:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{owner[name]}"), name)

    return __getattr__
