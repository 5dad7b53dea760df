#!/usr/bin/env python3
"""The agent loop's own overhead per step, with a zero-latency fake model and zero-latency tools.

    .venv/bin/python benchmarks/agent_overhead.py [--runs 2000] [--json]

One run = 3 model calls (two answer with a ``toolUse`` block, the last with text) and 2 tool calls,
with the limits, policy, bookkeeping and message building of ``agent_runtime.loop.AgentLoop``.
The baseline, measured in the same run, makes the same 3 model calls and 2 tool calls on the same
fakes in a bare loop (no limits, no policy, no records). Overhead per step = (loop - baseline) / 3.
Neither side includes botocore, the network, Memory or the Gateway: the real calls cost milliseconds
to seconds each, so this is the part the agent adds on top of them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambdas" / "agent_runtime"))

from agent_runtime.loop import AgentLoop, Pricing, ToolOutcome, ToolSpec
from agent_runtime.settings_contract import Limits

TOOLS = tuple(ToolSpec(f"usecases___{name}", f"{name} a text", {"type": "object", "properties": {"input": {"type": "string"}}})
              for name in ("summarize", "translate", "classify", "extract", "rewrite"))
USAGE = {"inputTokens": 200, "outputTokens": 30, "totalTokens": 230}


def _tool_reply(name: str, use_id: str) -> dict:
    return {"output": {"message": {"role": "assistant", "content": [
        {"text": "Using a tool."}, {"toolUse": {"toolUseId": use_id, "name": name, "input": {"input": "x"}}}]}},
        "stopReason": "tool_use", "usage": USAGE}


SCRIPT = (_tool_reply("usecases___summarize", "t1"), _tool_reply("usecases___translate", "t2"),
          {"output": {"message": {"role": "assistant", "content": [{"text": "Done."}]}}, "stopReason": "end_turn",
           "usage": USAGE})
STEPS = len(SCRIPT)


class FakeModel:
    def __init__(self) -> None:
        self.index = 0

    def converse(self, *, system, messages, tools):
        reply = SCRIPT[self.index % STEPS]
        self.index += 1
        return reply


class FakeTools:
    def list_tools(self):
        return TOOLS

    def call_tool(self, name, arguments, *, timeout):
        return ToolOutcome('{"output":"ok"}')


def run_loop(runs: int) -> float:
    model, tools = FakeModel(), FakeTools()
    loop = AgentLoop(model, tools, limits=Limits(max_steps=6, max_tool_calls=8, max_seconds=60, max_cost_usd=1.0),
                     pricing=Pricing(0.00025, 0.00125))
    allowed = frozenset({"summarize", "translate", "classify"})
    start = time.perf_counter()
    for _ in range(runs):
        loop.run("Summarize then translate.", history=(), allowed=allowed)
    return time.perf_counter() - start


def run_baseline(runs: int) -> float:
    model, tools = FakeModel(), FakeTools()
    start = time.perf_counter()
    for _ in range(runs):
        messages = [{"role": "user", "content": [{"text": "Summarize then translate."}]}]
        while True:
            reply = model.converse(system=("s",), messages=messages, tools=TOOLS)
            uses = [b["toolUse"] for b in reply["output"]["message"]["content"] if "toolUse" in b]
            if not uses:
                break
            for use in uses:
                tools.call_tool(use["name"], use["input"], timeout=1.0)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    run_loop(100), run_baseline(100)  # warm-up
    loop_times, base_times = [], []
    for _ in range(args.repeats):  # interleaved so both sides see the same machine load
        loop_times.append(run_loop(args.runs))
        base_times.append(run_baseline(args.runs))
    loop_us = statistics.median(loop_times) / args.runs / STEPS * 1e6
    base_us = statistics.median(base_times) / args.runs / STEPS * 1e6
    result = {"runs": args.runs, "repeats": args.repeats, "steps_per_run": STEPS,
              "loop_us_per_step": round(loop_us, 2), "baseline_us_per_step": round(base_us, 2),
              "overhead_us_per_step": round(loop_us - base_us, 2), "ratio_vs_baseline": round(loop_us / base_us, 2)}
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
