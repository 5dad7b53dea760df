"""What one agent run records and reports: the tool port's types, the run's state, its result and its stop.

Plain data, no SDK import: the Gateway adapter, the Strands hooks (``guard.py``), the metrics and the app share
these, and the tests read them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .citations import Citation


@dataclass(frozen=True)
class ToolSpec:
    name: str  # as the Gateway lists it (``<target>___<tool>``)
    description: str
    input_schema: Mapping[str, Any]


@dataclass(frozen=True)
class ToolOutcome:
    text: str
    is_error: bool = False


class ToolPort(Protocol):
    def list_tools(self) -> Sequence[ToolSpec]: ...

    def call_tool(self, name: str, arguments: Mapping[str, Any], *, timeout: float) -> ToolOutcome: ...


@dataclass(frozen=True)
class ToolCallRecord:
    tool: str  # bare name (no target prefix)
    duration_ms: int
    outcome: str  # ok | error | refused

    def describe(self) -> dict[str, Any]:
        return {"tool": self.tool, "duration_ms": self.duration_ms, "outcome": self.outcome}


@dataclass(frozen=True)
class Stop:
    """Why a run ends without an answer: ``code`` is ``limit_exceeded`` (``limit`` names it),
    ``blocked_by_guardrail`` or ``model_error``."""

    code: str
    message: str
    limit: str | None = None


@dataclass
class RunState:
    deadline: float  # the run's wall-time limit, on the loop's clock
    steps: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    estimated_cost_usd: float = 0.0
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)  # the documents the search tools returned
    #: Set by the first limit or refusal that ends the run; from then on no model or tool call starts.
    stop: Stop | None = None
    #: Told of each tool call as it starts and ends (``{"type": "tool_call", "phase", "tool", ...}``): the Runtime's
    #: streamed answer (agent_main.py). It may raise to stop the run before the next call starts (the caller left).
    progress: Callable[[dict[str, Any]], None] | None = None

    def report(self, phase: str, tool: str, record: ToolCallRecord | None = None) -> None:
        if self.progress is not None:
            self.progress({"type": "tool_call", "phase": phase, "tool": tool, **(record.describe() if record else {})})

    def stop_with(self, code: str, message: str, *, limit: str | None = None) -> None:
        if self.stop is None:  # the first reason is the one reported
            self.stop = Stop(code, message, limit)

    def usage(self) -> dict[str, int]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "total_tokens": self.input_tokens + self.output_tokens}


@dataclass(frozen=True)
class RunResult:
    output: str
    state: RunState


class AgentStopped(Exception):
    """The run ended without an answer (``stop`` says why); ``state`` keeps what ran until then."""

    def __init__(self, stop: Stop, state: RunState) -> None:
        super().__init__(stop.message)
        self.code, self.message, self.limit, self.state = stop.code, stop.message, stop.limit, state


@dataclass(frozen=True)
class Pricing:
    input_per_1k: float
    output_per_1k: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return input_tokens / 1000.0 * self.input_per_1k + output_tokens / 1000.0 * self.output_per_1k
