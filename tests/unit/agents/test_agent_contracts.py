"""The contracts around the loop: the tool schema cut from the API schema, the Gateway client's parsing, the
Runtime's settings, the Gateway target's entry point."""

from __future__ import annotations

import importlib
import json
import sys

import pytest
from agent_runtime.gateway_client import outcome_of, parse_response
from agent_runtime.policy import allowed_tools, bare_tool_name
from agent_runtime.settings_contract import AgentSettings, Limits, ToolRule
from orchestrator import api_schema
from orchestrator.agent_tools import TOOL_FIELDS, tool_definitions, tool_input_schema

from localaws import fakes

from .harness import GatewayContext


def test_the_tool_schema_is_cut_from_the_api_schema() -> None:
    generate = api_schema.request_schema("GenerateRequest")
    schema = tool_input_schema()
    assert set(schema["properties"]) == set(TOOL_FIELDS) <= set(generate["properties"])
    assert schema["required"] == ["input"]
    assert schema["properties"]["input"]["type"] == "string"
    assert schema["properties"]["instructions"]["type"] == "object"  # ["object", "null"] -> one type
    assert set(schema["properties"]["instructions"]["properties"]) == set(generate["properties"]["instructions"]["properties"])
    [definition] = tool_definitions([("summarize", "Summarize a text.")])
    assert definition == {"name": "summarize", "description": "Summarize a text.", "inputSchema": schema}


def test_gateway_answers_are_parsed_from_json_or_an_event_stream() -> None:
    message = {"jsonrpc": "2.0", "id": 1, "result": {"tools": []}}
    assert parse_response("application/json", json.dumps(message)) == message
    stream = f"event: message\ndata: {json.dumps(message)}\n\n"
    assert parse_response("text/event-stream", stream) == message
    assert outcome_of('{"error": {"code": "x"}}').is_error
    assert not outcome_of('{"output": "fine"}').is_error
    assert not outcome_of("plain text").is_error
    assert outcome_of("plain", is_error=True).is_error


def test_policy_matches_callers_and_strips_the_target_prefix() -> None:
    rules = (ToolRule(("cognito:*",), ("summarize",)), ToolRule(("arn:aws:iam::111111111111:*",), ("translate",)))
    assert allowed_tools(rules, "cognito:abc") == {"summarize"}
    assert allowed_tools(rules, "arn:aws:iam::111111111111:role/x") == {"translate"}
    assert allowed_tools(rules, "arn:aws:iam::222222222222:role/x") == frozenset()
    assert bare_tool_name("usecases___summarize") == "summarize"


def test_settings_round_trip_and_name_the_variable_when_bad() -> None:
    settings = AgentSettings(environment="dev", model_id="m", price_in_per_1k=0.1, price_out_per_1k=0.2,
                             max_output_tokens=100, guardrail_id="g", guardrail_version="1", gateway_url="https://g/mcp",
                             memory_id="mem-abcdefghij", limits=Limits(max_steps=3),
                             tool_rules=(ToolRule(("*",), ("summarize",)),))
    assert AgentSettings.from_environment(settings.to_environment()) == settings
    with pytest.raises(ValueError, match="AGENT_SETTINGS"):
        AgentSettings.from_environment({"AGENT_SETTINGS": "{}"})


def test_the_gateway_entry_point_runs_the_orchestrators_composition_root(aws, monkeypatch) -> None:
    monkeypatch.setenv("AGENT_TOOLS", "summarize,not_a_use_case")
    aws.on("bedrock-runtime", "Converse", fakes.echo_converse)
    for name in ("tool_handler", "handler"):  # a fresh cold start; the earlier modules come back after the test
        monkeypatch.delitem(sys.modules, name, raising=False)
    tool_handler = importlib.import_module("tool_handler")
    assert tool_handler.TARGET.enabled == {"summarize"}
    assert tool_handler.TARGET.service is sys.modules["handler"].RUNTIME.service
    result = tool_handler.handler({"input": "x", "use_case": "chat"}, GatewayContext("usecases___summarize"))
    assert result["error"]["code"] == "validation_error"
