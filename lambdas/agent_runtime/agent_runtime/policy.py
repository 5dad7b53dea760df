"""Which tools a caller may use: fixed when a run starts, from the settings (never from model or tool output)."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from .settings_contract import ToolRule

#: AgentCore Gateway names a target's tool ``<target name>___<tool name>`` (devguide "gateway-tool-naming").
TARGET_SEPARATOR = "___"


def bare_tool_name(name: str) -> str:
    return name.split(TARGET_SEPARATOR, 1)[1] if TARGET_SEPARATOR in name else name


def allowed_tools(rules: Iterable[ToolRule], caller: str) -> frozenset[str]:
    """The union of the tools of every rule one of whose caller patterns matches (case-sensitive)."""
    allowed: set[str] = set()
    for rule in rules:
        if any(fnmatchcase(caller, pattern) for pattern in rule.callers):
            allowed.update(rule.tools)
    return frozenset(allowed)
