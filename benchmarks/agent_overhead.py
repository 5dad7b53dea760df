#!/usr/bin/env python3
"""The agent's own overhead per step (Strands Agents SDK + our hooks), with a zero-latency model and tools.

    .venv/bin/python benchmarks/agent_overhead.py [--runs 300] [--json]

One run = 3 model calls (two answer with a ``toolUse`` block, the last with text) and 2 tool calls, through
``agent_runtime.loop.AgentLoop``: a new SDK ``Agent`` per run, the guard's limits and policy, the Gateway tool
adapter, the SDK's Bedrock provider. Both sides call Bedrock through the same botocore client (request
serialization, signing and response parsing included), answered in process before anything is sent, so the
difference is what the SDK and the agent add per step. The baseline, measured in the same run, makes the same
3 Converse calls and 2 tool calls in a bare loop. Overhead per step = (agent - baseline) / 3. The real calls cost
hundreds of milliseconds to seconds each, so this is the part the agent adds on top of them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # localaws: the project's AWS fakes
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambdas" / "agent_runtime"))

import boto3
from agent_runtime.bedrock_model import guarded_bedrock_model
from agent_runtime.loop import SYSTEM_PROMPT, AgentLoop
from agent_runtime.run_state import Pricing, ToolOutcome, ToolSpec
from agent_runtime.settings_contract import Limits

from localaws.fakes import aws_response

MODEL_ID = "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
GUARDRAIL = {"guardrailIdentifier": "arn:aws:bedrock:eu-west-1:123456789012:guardrail/gr0abc123def",
             "guardrailVersion": "1", "trace": "disabled"}
TOOLS = tuple(ToolSpec(f"usecases___{name}", f"{name} a text", {"type": "object", "properties": {"input": {"type": "string"}}})
              for name in ("summarize", "translate", "classify", "extract", "rewrite"))
USAGE = {"inputTokens": 200, "outputTokens": 30, "totalTokens": 230}


def _tool_reply(name: str, use_id: str) -> dict:
    return {"output": {"message": {"role": "assistant", "content": [
        {"text": "Using a tool."}, {"toolUse": {"toolUseId": use_id, "name": name, "input": {"input": "x"}}}]}},
        "stopReason": "tool_use", "usage": USAGE, "metrics": {"latencyMs": 1}}


SCRIPT = tuple(json.dumps(reply).encode() for reply in (
    _tool_reply("usecases___summarize", "t1"), _tool_reply("usecases___translate", "t2"),
    {"output": {"message": {"role": "assistant", "content": [{"text": "Done."}]}}, "stopReason": "end_turn",
     "usage": USAGE, "metrics": {"latencyMs": 1}}))
STEPS = len(SCRIPT)


class ScriptedBedrock:
    """Answers each Converse request with the script's next reply, before anything is sent."""

    def __init__(self) -> None:
        self.index = 0

    def __call__(self, request, **_: object):
        body = SCRIPT[self.index % STEPS]
        self.index += 1
        return aws_response(request, 200, body)


class FakeTools:
    def list_tools(self):
        return TOOLS

    def call_tool(self, name, arguments, *, timeout):
        return ToolOutcome('{"output":"ok"}')


def _model():
    # Fake credentials: every request is answered in process before it is sent.
    session = boto3.session.Session(region_name="eu-west-1", aws_access_key_id="bench",
                                    aws_secret_access_key="bench")  # noqa: S106
    model = guarded_bedrock_model(session=session, model_id=MODEL_ID, guardrail_id=GUARDRAIL["guardrailIdentifier"],
                                  guardrail_version=GUARDRAIL["guardrailVersion"], max_tokens=1024, read_timeout=20)
    model.client.meta.events.register_first("before-send", ScriptedBedrock())
    return model


MODEL = _model()


def run_loop(runs: int) -> float:
    loop = AgentLoop(MODEL, FakeTools(), limits=Limits(max_steps=6, max_tool_calls=8, max_seconds=60, max_cost_usd=1.0),
                     pricing=Pricing(0.00025, 0.00125))
    allowed = frozenset({"summarize", "translate", "classify"})
    start = time.perf_counter()
    for _ in range(runs):
        loop.run("Summarize then translate.", history=(), allowed=allowed)
    return time.perf_counter() - start


def run_baseline(runs: int) -> float:
    client, tools = MODEL.client, FakeTools()
    tool_config = {"tools": [{"toolSpec": {"name": t.name, "description": t.description,
                                           "inputSchema": {"json": dict(t.input_schema)}}} for t in TOOLS[:3]]}
    start = time.perf_counter()
    for _ in range(runs):
        messages = [{"role": "user", "content": [{"text": "Summarize then translate."}]}]
        while True:
            reply = client.converse(modelId=MODEL_ID, system=[{"text": SYSTEM_PROMPT}], messages=messages,
                                    toolConfig=tool_config, inferenceConfig={"maxTokens": 1024},
                                    guardrailConfig=GUARDRAIL)
            content = reply["output"]["message"]["content"]
            uses = [b["toolUse"] for b in content if "toolUse" in b]
            if not uses:
                break
            messages.append({"role": "assistant", "content": content})
            messages.append({"role": "user", "content": [
                {"toolResult": {"toolUseId": use["toolUseId"], "status": "success",
                                "content": [{"text": tools.call_tool(use["name"], use["input"], timeout=1.0).text}]}}
                for use in uses]})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    run_loop(20), run_baseline(20)  # warm-up
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
