"""The Agents stack (dev and staging enable agents; prod does not): Gateway with IAM inbound auth and the use cases as
a Lambda target running the orchestrator's code, Memory with retention and strategies, the Runtime from a code asset
under the guardrail, confused-deputy-safe roles, and the agent's alarms on the dashboard."""

from __future__ import annotations

import json

import pytest

from tests.infra.synth import flat, function_variables
from tests.infra.test_knowledge import only


@pytest.fixture(scope="module")
def agents(synthesized):
    return synthesized.stack("dev", "Agents")


def test_dev_and_staging_get_the_stack_prod_does_not(synthesized):
    assert {s.environment for s in synthesized.stacks if s.construct_id == "Agents"} == {"dev", "staging"}


def test_the_gateway_takes_iam_callers_and_lists_each_configured_use_case_as_a_tool(agents):
    gateway = only(agents, "AWS::BedrockAgentCore::Gateway")["Properties"]
    assert gateway["AuthorizerType"] == "AWS_IAM"
    assert gateway["ProtocolType"] == "MCP"
    target = next(t["Properties"] for t in agents.resources_of_type("AWS::BedrockAgentCore::GatewayTarget").values()
                  if t["Properties"]["Name"] == "usecases")
    lambda_target = target["TargetConfiguration"]["Mcp"]["Lambda"]
    tools = {tool["Name"]: tool for tool in lambda_target["ToolSchema"]["InlinePayload"]}
    assert set(tools) == {"summarize", "translate", "classify", "extract", "answer"}
    schema = tools["summarize"]["InputSchema"]
    assert schema["Required"] == ["input"] and set(schema["Properties"]) == {"input", "context", "instructions"}
    assert target["CredentialProviderConfigurations"] == [{"CredentialProviderType": "GATEWAY_IAM_ROLE"}]


def test_each_configured_knowledge_base_is_a_search_tool_with_retrieve_on_it_alone(agents, synthesized):
    targets = {t["Properties"]["Name"]: t["Properties"] for t in
               agents.resources_of_type("AWS::BedrockAgentCore::GatewayTarget").values()}
    assert set(targets) == {"usecases", "knowledge"}
    [tool] = targets["knowledge"]["TargetConfiguration"]["Mcp"]["Lambda"]["ToolSchema"]["InlinePayload"]
    assert tool["Name"] == "search_operations-guide"
    assert tool["InputSchema"]["Required"] == ["query"] and set(tool["InputSchema"]["Properties"]) == {"query"}
    retrieve = [s for p in agents.resources_of_type("AWS::IAM::Policy").values()
                for s in flat(p["Properties"]["PolicyDocument"])["Statement"] if "bedrock:Retrieve" in s["Action"]]
    retrieve += [s for p in agents.resources_of_type("AWS::IAM::ManagedPolicy").values()
                 for s in flat(p["Properties"]["PolicyDocument"])["Statement"] if "bedrock:Retrieve" in s["Action"]]
    assert len(retrieve) == 1 and "OperationsGuideKnowledgeBase" in json.dumps(retrieve[0]["Resource"])
    staging = synthesized.stack("staging", "Agents")
    assert "bedrock:Retrieve" not in json.dumps(staging.template)  # staging offers no knowledge base to its agent
    assert {t["Properties"]["Name"] for t in staging.resources_of_type("AWS::BedrockAgentCore::GatewayTarget").values()} \
        == {"usecases"}


def test_a_cedar_policy_engine_on_the_gateway_permits_exactly_the_tools_of_the_access_rules(agents, synthesized):
    gateway = only(agents, "AWS::BedrockAgentCore::Gateway")["Properties"]
    assert gateway["PolicyEngineConfiguration"]["Mode"] == "ENFORCE"
    policy = only(agents, "AWS::BedrockAgentCore::Policy")
    cedar = flat(policy["Properties"]["Definition"]["Cedar"]["Statement"])
    assert cedar.startswith("permit(\n  principal is AgentCore::IamEntity,\n  action in [")
    actions = sorted(cedar.split("action in [", 1)[1].split("]", 1)[0].split(", "))
    assert actions == sorted(f'AgentCore::Action::"{tool}"' for tool in (
        "usecases___summarize", "usecases___translate", "usecases___classify", "usecases___extract",
        "usecases___answer", "knowledge___search_operations-guide"))
    assert "resource == AgentCore::Gateway::" in cedar
    assert policy["Properties"]["ValidationMode"] == "FAIL_ON_ANY_FINDINGS"
    targets = [lid for lid, r in agents.resources.items() if r["Type"] == "AWS::BedrockAgentCore::GatewayTarget"]
    assert set(targets) <= set(policy["DependsOn"])  # validated against the Gateway's tools: created after them
    actions = {a for p in agents.resources_of_type("AWS::IAM::ManagedPolicy").values()
               for s in flat(p["Properties"]["PolicyDocument"])["Statement"]
               for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"bedrock-agentcore:AuthorizeAction", "bedrock-agentcore:PartiallyAuthorizeActions",
            "bedrock-agentcore:GetPolicyEngine"} <= actions


def test_the_tool_function_is_the_orchestrator_code_with_the_tool_entry_point(agents, synthesized):
    [tools] = [f["Properties"] for f in agents.resources_of_type("AWS::Lambda::Function").values()
               if f["Properties"]["Handler"] == "tool_handler.handler"]
    env = function_variables(agents.resources, tools)
    assert env["AGENT_TOOLS"] == "summarize,translate,classify,extract,answer,search_operations-guide"
    api_stack = synthesized.stack("dev", "Api")
    api = function_variables(api_stack.resources, next(
        f for f in api_stack.resources_of_type("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "handler.handler"))
    same = ("MODELS", "DEFAULT_MODELS", "SAFETY_CONFIG", "GUARDRAIL_VERSION", "MAX_INPUT_CHARS")
    assert {k: env[k] for k in same} == {k: api[k] for k in same}


def test_roles_trust_agentcore_only_for_this_accounts_gateways_runtimes_and_memories(agents):
    trusts = [flat(r["Properties"]["AssumeRolePolicyDocument"]) for r in agents.resources_of_type("AWS::IAM::Role").values()
              if "bedrock-agentcore.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])]
    assert len(trusts) == 3
    kinds = set()
    for trust in trusts:
        assert len(trust["Statement"]) == 1  # no unconditioned second statement (the L2 default role has one)
        condition = trust["Statement"][0]["Condition"]
        assert condition["StringEquals"] == {"aws:SourceAccount": "${AWS::AccountId}"}
        kinds.add(condition["ArnLike"]["aws:SourceArn"].rsplit(":", 1)[1].split("/")[0])
    assert kinds == {"gateway", "runtime", "memory"}


def _runtime_policy(agents):
    roles = agents.resources_of_type("AWS::IAM::Role")
    runtime_role = next(lid for lid, r in roles.items() if "runtime/*" in json.dumps(flat(r["Properties"])))
    return next(flat(p["Properties"]["PolicyDocument"]) for p in agents.resources_of_type("AWS::IAM::ManagedPolicy").values()
            if runtime_role in json.dumps(p["Properties"]["Roles"]))


def test_the_runtime_converses_only_with_the_pinned_guardrail(agents):
    statements = _runtime_policy(agents)["Statement"]
    invoke = [s for s in statements if "bedrock:InvokeModel" in s["Action"]]
    allow = [s for s in invoke if s["Effect"] == "Allow"]
    deny = [s for s in invoke if s["Effect"] == "Deny"]
    assert allow and deny
    assert all("bedrock:GuardrailIdentifier" in json.dumps(s["Condition"]) for s in allow + deny)
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"bedrock-agentcore:CreateEvent", "bedrock-agentcore:ListEvents", "bedrock-agentcore:InvokeGateway",
            "bedrock-agentcore:RetrieveMemoryRecords"} <= actions
    assert not [a for a in actions if a.endswith(":*") or a == "*"]


def test_the_runtime_deploys_the_agent_code_asset_with_its_settings(agents):
    import sys

    from tests.infra.synth import ROOT

    sys.path.insert(0, str(ROOT / "scripts"))
    import build_lambda_assets

    runtime = only(agents, "AWS::BedrockAgentCore::Runtime")["Properties"]
    code = runtime["AgentRuntimeArtifact"]["CodeConfiguration"]
    assert code["EntryPoint"] == ["agent_main.py"]
    # The vendored wheels are native arm64 builds for the asset builder's Python: the Runtime must run that Python.
    assert code["Runtime"] == "PYTHON_" + build_lambda_assets.TARGET_PYTHON.replace(".", "_")
    settings = flat(runtime["EnvironmentVariables"]["AGENT_SETTINGS"])  # JSON around deploy-time tokens
    assert '"limits":{"max_cost_usd":0.05,"max_seconds":20.0,"max_steps":6,"max_tool_calls":8}' in settings
    assert '"model_id":"eu.anthropic.claude-haiku-4-5-20251001-v1:0"' in settings


def test_memory_keeps_events_for_the_configured_days_with_summary_and_preference_strategies(agents, synthesized):
    memory = only(agents, "AWS::BedrockAgentCore::Memory")
    assert memory["Properties"]["EventExpiryDuration"] == 7
    strategies = {kind: body for item in memory["Properties"]["MemoryStrategies"] for kind, body in item.items()}
    # Namespaces the agent can name when it recalls (not the built-in /strategies/{memoryStrategyId}/...).
    assert strategies["SummaryMemoryStrategy"]["Namespaces"] == ["/summaries/{actorId}/{sessionId}"]
    assert strategies["UserPreferenceMemoryStrategy"]["Namespaces"] == ["/preferences/{actorId}"]
    assert memory["DeletionPolicy"] == "Delete"  # dev does not retain data
    staging = next(iter(synthesized.stack("staging", "Agents").resources_of_type("AWS::BedrockAgentCore::Memory").values()))
    assert staging["DeletionPolicy"] == "Retain" and staging["Properties"]["EventExpiryDuration"] == 30


def test_the_agent_alarms_and_widgets_are_on_the_dashboard(agents, synthesized):
    alarms = agents.resources_of_type("AWS::CloudWatch::Alarm")
    assert len(alarms) == 3
    assert all(a["Properties"].get("AlarmActions") for a in alarms.values())
    dashboard = json.dumps(synthesized.stack("dev", "Observability").resources_of_type("AWS::CloudWatch::Dashboard"))
    for metric in ("AgentSteps", "AgentToolFailures", "AgentEstimatedCost", "AgentTokens"):
        assert metric in dashboard


def test_an_openapi_target_names_its_credential_provider_and_secret_and_passes_the_nag_pack(tmp_path, monkeypatch):
    from aws_cdk import App, Stack

    from cdk.components.agentcore_gateway import (
        ApiKeyCredential,
        OAuthCredential,
        OpenApiToolTarget,
        ToolGateway,
        ToolPolicy,
    )
    from cdk.policy import apply_policy_gates
    from tests.infra.test_component_examples import _findings

    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path))
    schema = json.dumps({"openapi": "3.0.1", "info": {"title": "w", "version": "1"},
                         "servers": [{"url": "https://weather.example.com"}],
                         "paths": {"/f": {"get": {"operationId": "get_forecast", "responses": {"200": {
                             "description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}}}}})
    provider = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:token-vault/default/apikeycredentialprovider/weather"
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:weather-AbCdEf"
    app = App()
    stack = Stack(app, "Example")
    ToolGateway(stack, "Gateway", targets=[], description="External tools", policy=ToolPolicy(tools=("weather___get_forecast",)),
                openapi_targets=[
                    OpenApiToolTarget("weather", schema, ApiKeyCredential(provider, secret, "header", "X-Api-Key", "Key "),
                                      ("get_forecast",)),
                    OpenApiToolTarget("crm", schema.replace("get_forecast", "get_contact"),
                                      OAuthCredential(provider.replace("apikey", "oauth2"), secret, ("read",)),
                                      ("get_contact",))])
    apply_policy_gates(app, packs=["AwsSolutions"])
    assembly = app.synth()
    assert not _findings(app.outdir)
    template = assembly.get_stack_by_name("Example").template
    targets = {r["Properties"]["Name"]: r["Properties"] for r in template["Resources"].values()
               if r["Type"] == "AWS::BedrockAgentCore::GatewayTarget"}
    api_key = targets["weather"]["CredentialProviderConfigurations"][0]
    assert api_key["CredentialProviderType"] == "API_KEY"
    assert api_key["CredentialProvider"]["ApiKeyCredentialProvider"] == {
        "CredentialLocation": "HEADER", "CredentialParameterName": "X-Api-Key", "CredentialPrefix": "Key ",
        "ProviderArn": provider}
    assert targets["crm"]["CredentialProviderConfigurations"][0]["CredentialProviderType"] == "OAUTH"
    statements = [s for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"
                  for s in r["Properties"]["PolicyDocument"]["Statement"]]
    secrets = [s for s in statements if s["Action"] == "secretsmanager:GetSecretValue"]
    assert secrets and all(s["Resource"] == secret for s in secrets)  # exactly the provider's secret
    assert not [s for s in statements if s["Action"] == "*" or str(s["Action"]).endswith(":*")]
    policy = next(r for r in template["Resources"].values() if r["Type"] == "AWS::BedrockAgentCore::Policy")
    assert 'AgentCore::Action::\\"weather___get_forecast\\"' in json.dumps(policy["Properties"])
    assert "crm___get_contact" not in json.dumps(policy["Properties"])
