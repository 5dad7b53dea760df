"""The run's limits and the caller's tool policy, enforced at the Strands Agents SDK's hook points.

* Before each model call: the step and wall-time limits. A stopped run's next model call is cancelled (the SDK
  then ends the run without calling the model), so nothing runs after a limit.
* After each model call: its tokens and estimated cost (``message["metadata"]["usage"]``, which the SDK attaches
  before this hook runs), the cost limit, and a guardrail intervention.
* Before each tool call: a tool outside the tools offered at the start (the caller's policy) is refused, recorded
  and reported, never run; then the step, tool-call and wall-time limits. A stopped run's tool calls are cancelled.
* After each tool call: its record (duration, outcome) and the ``end`` progress event.

No hook raises to stop a run (the SDK would log a stopped run as a failed cycle): each records the stop in
:class:`RunState` and cancels through the SDK's own ``cancel`` fields; ``loop.py`` turns the stop into
:class:`AgentStopped` once the SDK returns. Progress callbacks may raise (the streaming caller left): the SDK
re-raises a hook's exception, so the run ends before the next call starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from strands.hooks import AfterModelCallEvent, AfterToolCallEvent, BeforeModelCallEvent, BeforeToolCallEvent, HookProvider

from .policy import bare_tool_name
from .run_state import Pricing, RunState, ToolCallRecord
from .settings_contract import Limits


class RunGuard(HookProvider):
    def __init__(self, state: RunState, *, limits: Limits, pricing: Pricing, offered: frozenset[str],
                 clock: Callable[[], float]) -> None:
        self.state, self.limits, self.pricing, self.offered, self.clock = state, limits, pricing, offered, clock

    def register_hooks(self, registry: Any, **_: Any) -> None:
        registry.add_callback(BeforeModelCallEvent, self.before_model)
        registry.add_callback(AfterModelCallEvent, self.after_model)
        registry.add_callback(BeforeToolCallEvent, self.before_tool)
        registry.add_callback(AfterToolCallEvent, self.after_tool)

    def before_model(self, event: BeforeModelCallEvent) -> None:
        state = self.state
        if state.stop is None:
            if state.steps >= self.limits.max_steps:
                self._stop_steps()
            else:
                self._check_time()
        if state.stop is not None:
            event.cancel = state.stop.message

    def after_model(self, event: AfterModelCallEvent) -> None:
        if event.stop_response is None:  # the call failed: the SDK raises its exception (loop.py maps it)
            return
        state = self.state
        # A stop set before this call means before_model cancelled it (nothing sets one in between), yet the SDK
        # still sends this event with its cancel text: not a model call, nothing to count.
        if state.stop is not None:
            return
        state.steps += 1
        usage = (event.stop_response.message.get("metadata") or {}).get("usage") or {}
        input_tokens, output_tokens = int(usage.get("inputTokens", 0)), int(usage.get("outputTokens", 0))
        state.input_tokens += input_tokens
        state.output_tokens += output_tokens
        state.estimated_cost_usd = round(state.estimated_cost_usd + self.pricing.cost(input_tokens, output_tokens), 8)
        if event.stop_response.stop_reason == "guardrail_intervened":
            state.stop_with("blocked_by_guardrail", "the guardrail blocked the model's turn")
        elif state.estimated_cost_usd > self.limits.max_cost_usd:
            state.stop_with("limit_exceeded", f"the run's estimated cost passed {self.limits.max_cost_usd:g} USD",
                            limit="cost")

    def before_tool(self, event: BeforeToolCallEvent) -> None:
        state = self.state
        name = str(event.tool_use.get("name", ""))
        bare = bare_tool_name(name)
        if state.stop is None and name not in self.offered:
            state.tool_calls.append(ToolCallRecord(bare, 0, "refused"))
            state.report("start", bare)
            state.report("end", bare, state.tool_calls[-1])
            event.cancel_tool = f"refused: the tool {bare!r} is not available to this caller"
            return
        if state.stop is None:
            if state.steps >= self.limits.max_steps:
                self._stop_steps()  # its result could never reach the model: the call does not start
            elif len(state.tool_calls) >= self.limits.max_tool_calls:
                state.stop_with("limit_exceeded", f"the run needed more than {self.limits.max_tool_calls} tool calls",
                                limit="tool_calls")
            else:
                self._check_time()
        if state.stop is not None:
            event.cancel_tool = f"not run: {state.stop.message}"
            return
        state.report("start", bare)

    def after_tool(self, event: AfterToolCallEvent) -> None:
        if event.cancel_message is not None:  # refused or cancelled above: recorded there, or not at all
            return
        bare = bare_tool_name(str(event.tool_use.get("name", "")))
        outcome = "error" if event.result.get("status") == "error" else "ok"
        self.state.tool_calls.append(ToolCallRecord(bare, int((event.duration or 0.0) * 1000), outcome))
        self.state.report("end", bare, self.state.tool_calls[-1])

    def _stop_steps(self) -> None:
        self.state.stop_with("limit_exceeded", f"the run needed more than {self.limits.max_steps} model calls",
                             limit="steps")

    def _check_time(self) -> None:
        if self.clock() >= self.state.deadline:
            self.state.stop_with("limit_exceeded", f"the run took longer than {self.limits.max_seconds:g} s",
                                 limit="time")
