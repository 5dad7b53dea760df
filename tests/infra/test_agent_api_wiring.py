"""POST /v1/agent's wiring: the API stack takes the agents stack's Runtime by reference (the dependency goes
Api -> Agents, never back), both API functions get the Runtime's ARN through the settings contract and may invoke
exactly that Runtime and its DEFAULT endpoint; environments without agents have neither."""

from __future__ import annotations

import json

from tests.infra.synth import flat, function_variables


def _api_functions(synthesized, environment):
    return [f["Properties"] for f in synthesized.stack(environment, "Api").resources_of_type("AWS::Lambda::Function").values()
            if f["Properties"]["Handler"] in ("handler.handler", "run.sh")]


def _runtime_id(synthesized, environment):
    [(runtime_id, _)] = synthesized.stack(environment, "Agents").resources_of_type("AWS::BedrockAgentCore::Runtime").items()
    return runtime_id


def test_the_api_stack_depends_on_the_agents_stack_and_not_the_other_way(synthesized):
    for manifest in synthesized.manifests():
        artifacts = {name: a for name, a in manifest.get("artifacts", {}).items() if a.get("type") == "aws:cloudformation:stack"}
        by_id = {a.get("displayName", name).rsplit("/", 1)[-1]: name for name, a in artifacts.items()}
        if "Agents" not in by_id:
            continue
        api, agents = by_id["Api"], by_id["Agents"]
        assert agents in artifacts[api].get("dependencies", []), api

        assert api not in _dependencies(artifacts, agents), "the agents stack must not depend on the API stack"
    # The tool function keeps no conversations: nothing of the API stack is referenced.
    assert "ConversationHistory" not in json.dumps(synthesized.stack("dev", "Agents").template)


def _dependencies(artifacts, name):
    """Every artifact ``name`` depends on, directly or through others."""
    found, pending = set(), list(artifacts[name].get("dependencies", []))
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending += artifacts.get(current, {}).get("dependencies", [])
    return found


def test_both_api_functions_get_the_runtime_arn_and_invoke_exactly_that_runtime(synthesized):
    api = synthesized.stack("dev", "Api")
    runtime_id = _runtime_id(synthesized, "dev")
    functions = _api_functions(synthesized, "dev")
    assert len(functions) == 2
    for function in functions:
        arn = flat(function["Environment"]["Variables"]["AGENT_RUNTIME_ARN"])
        assert runtime_id in arn and "AgentRuntimeArn" in arn, arn
    policies = [*api.resources_of_type("AWS::IAM::Policy").values(), *api.resources_of_type("AWS::IAM::ManagedPolicy").values()]
    statements = [statement for policy in policies for statement in flat(policy["Properties"]["PolicyDocument"])["Statement"]
                  if "bedrock-agentcore" in json.dumps(statement["Action"])]
    assert len(statements) == 2  # one per function role
    for statement in statements:
        assert statement["Action"] == "bedrock-agentcore:InvokeAgentRuntime" and statement["Effect"] == "Allow"
        runtime_arn, endpoint_arn = statement["Resource"]
        assert runtime_id in runtime_arn and endpoint_arn == runtime_arn + "/runtime-endpoint/DEFAULT"
        assert "*" not in json.dumps(statement["Resource"])


def test_an_environment_without_agents_has_no_runtime_arn_and_no_agentcore_permission(synthesized):
    assert "Agents" not in {s.construct_id for s in synthesized.stacks if s.environment == "prod"}
    for function in _api_functions(synthesized, "prod"):
        assert "AGENT_RUNTIME_ARN" not in function["Environment"]["Variables"]
    assert "bedrock-agentcore" not in json.dumps(synthesized.stack("prod", "Api").template)


def test_the_tool_function_has_the_api_settings_without_table_or_agent(synthesized):
    [tools] = [f["Properties"] for f in synthesized.stack("dev", "Agents").resources_of_type("AWS::Lambda::Function").values()
               if f["Properties"]["Handler"] == "tool_handler.handler"]
    variables = function_variables(synthesized.stack("dev", "Agents").resources, tools)
    assert "CONVERSATION_TABLE" not in variables and "AGENT_RUNTIME_ARN" not in variables
    [api] = [f for f in _api_functions(synthesized, "dev") if f["Handler"] == "handler.handler"]
    api_variables = function_variables(synthesized.stack("dev", "Api").resources, api)
    shared = set(api_variables) - {"CONVERSATION_TABLE", "AGENT_RUNTIME_ARN"}
    assert {k: flat(variables[k]) for k in shared if k in variables} == {
        k: flat(api_variables[k]) for k in shared if k in variables}
    assert {"MODELS", "SAFETY_CONFIG", "GUARDRAIL_ARN"} <= shared & set(variables)
