"""The Gateway's tools as Strands Agents SDK tools: each call goes through the tool port (the Gateway's MCP
endpoint), bounded by the run's remaining wall time; its result goes back to the model only as a ``toolResult``.

A search tool's documents are renumbered across the run and cut to the tool-result budget (``citations.py``);
any other result is truncated to the same budget. A failing call becomes an error result the model can read
(its exception type only): a tool's failure is the model's to explain, never the run's end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from strands.tools import PythonAgentTool

from .citations import renumber
from .policy import bare_tool_name
from .run_state import RunState, ToolOutcome, ToolPort, ToolSpec

MAX_TOOL_RESULT_CHARS = 8000


def gateway_tool(spec: ToolSpec, port: ToolPort, state: RunState, *, clock: Callable[[], float],
                 search_tools: frozenset[str]) -> PythonAgentTool:
    bare = bare_tool_name(spec.name)

    def call(tool_use: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        arguments = tool_use.get("input") if isinstance(tool_use.get("input"), Mapping) else {}
        try:
            outcome = port.call_tool(spec.name, arguments, timeout=max(state.deadline - clock(), 0.0))
        except Exception as exc:  # noqa: BLE001 - reported to the model, never raised
            outcome = ToolOutcome(f"the tool failed ({type(exc).__name__})", is_error=True)
        text = outcome.text
        if bare in search_tools and not outcome.is_error:
            text, found = renumber(text, first=len(state.citations) + 1, budget=MAX_TOOL_RESULT_CHARS)
            state.citations.extend(found)
        return {"toolUseId": str(tool_use.get("toolUseId", "")), "status": "error" if outcome.is_error else "success",
                "content": [{"text": text[:MAX_TOOL_RESULT_CHARS]}]}

    tool_spec = {"name": spec.name, "description": spec.description, "inputSchema": {"json": dict(spec.input_schema)}}
    return PythonAgentTool(spec.name, tool_spec, call)
