"""Typed arguments of :class:`~cdk.components.agentcore_gateway.ToolGateway` (CDK-free)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Gateway target names: [a-zA-Z0-9_-], used as the tools' prefix (``<target>___<tool>``).
TARGET_NAME_PATTERN = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,98}[a-zA-Z0-9])?"


@dataclass(frozen=True)
class LambdaToolTarget:
    """One Lambda target: its name and its tools (``{"name", "description", "inputSchema"}`` JSON Schema)."""

    name: str
    tools: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
