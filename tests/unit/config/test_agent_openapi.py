"""``agents.tools.openapi``: external APIs as Gateway tools with an API-key or OAuth credential provider named by ARN
(the key never in the config or a template); every bad value names its key path."""

from __future__ import annotations

import pytest

from cdk.components.agentcore_gateway.props import ApiKeyCredential, OAuthCredential
from cdk.components.agentcore_runtime.props import ToolRule
from cdk.config import ConfigError, load_app_config

PATH = "environments.dev.agents.tools.openapi"
SCHEMA = "tests/unit/config/openapi_weather.json"
PROVIDER = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:token-vault/default/apikeycredentialprovider/weather"
OAUTH = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:token-vault/default/oauth2credentialprovider/crm"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:weather-AbCdEf"
MODELS = {"models": ["eu.anthropic.claude-haiku-4-5-20251001-v1:0"]}


def _agents(openapi, **agents):
    raw = {"region": "eu-west-1", "bedrock": MODELS,
           "agents": {"enabled": True, "tools": {"use_cases": ["summarize"], "openapi": openapi}, **agents}}
    return load_app_config({"environments": {"dev": raw}}).environment("dev").agents


def _api_key(**credential):
    return {"weather": {"schema": SCHEMA, "credential": {"type": "api_key", "provider_arn": PROVIDER,
                                                        "secret_arn": SECRET, **credential}}}


def test_an_api_key_target_lists_its_operations_as_tools():
    agents = _agents(_api_key(location="header", parameter_name="X-Api-Key", prefix="Key "))
    [target] = agents.openapi_targets
    assert target.name == "weather" and target.operations == ("get_forecast",)
    assert target.credential == ApiKeyCredential(PROVIDER, SECRET, "header", "X-Api-Key", "Key ")
    assert '"operationId":"get_forecast"' in target.schema
    assert agents.runtime.tool_rules == (ToolRule(("*",), ("summarize", "get_forecast")),)


def test_an_oauth_target_and_access_rules_naming_its_operations():
    agents = _agents({"crm": {"schema": SCHEMA, "credential": {"type": "oauth", "provider_arn": OAUTH,
                                                              "secret_arn": SECRET, "scopes": ["read"]}}},
                     access=[{"callers": ["cognito:*"], "tools": ["get_forecast"]}])
    assert agents.openapi_targets[0].credential == OAuthCredential(OAUTH, SECRET, ("read",))
    assert agents.runtime.tool_rules == (ToolRule(("cognito:*",), ("get_forecast",)),)


@pytest.mark.parametrize(("openapi", "path", "hint"), [
    (_api_key() | {"weather": {"schema": "nope.json", "credential": {}}}, f"{PATH}.weather.schema", "not a file"),
    ({"usecases": _api_key()["weather"]}, f"{PATH}.usecases", "not a target name"),
    ({"weather": {**_api_key()["weather"], "credential": {"type": "api_key", "provider_arn": PROVIDER,
                                                         "secret_arn": SECRET, "api_key": "s3cr3t"}}},
     f"{PATH}.weather.credential.api_key", "unknown key"),
    ({"weather": {**_api_key()["weather"], "credential": {"type": "basic"}}}, f"{PATH}.weather.credential.type",
     "allowed values: api_key, oauth"),
    (_api_key(provider_arn=PROVIDER.replace("eu-west-1", "us-east-1")), f"{PATH}.weather.credential.provider_arn",
     "eu-west-1"),
    (_api_key(provider_arn=OAUTH), f"{PATH}.weather.credential.provider_arn", "apikeycredentialprovider"),
    (_api_key(location="body"), f"{PATH}.weather.credential.location", "header, query_parameter"),
    (_api_key(secret_arn="weather"), f"{PATH}.weather.credential.secret_arn", "Secrets Manager"),
])
def test_bad_values_name_the_key_path(openapi, path, hint):
    with pytest.raises(ConfigError) as error:
        _agents(openapi)
    assert path in str(error.value) and hint in str(error.value), str(error.value)


def test_an_operation_id_may_not_shadow_another_tool(monkeypatch):
    import cdk.config.agent_openapi as module

    monkeypatch.setattr(module, "_read_schema", lambda relative, path: ("{}", ("summarize",)))
    with pytest.raises(ConfigError) as error:
        _agents(_api_key())
    assert f"{PATH}.weather.schema" in str(error.value) and "already a tool name" in str(error.value)


@pytest.mark.parametrize("document", [
    {"openapi": "3.0.3", "paths": ["/forecast"]},
    {"openapi": "3.0.3", "paths": {"/forecast": ["get"]}},
    {"openapi": "3.0.3", "paths": {"/forecast": {"get": "get_forecast"}}},
])
def test_a_malformed_openapi_document_names_the_schema_key_not_a_traceback(monkeypatch, tmp_path, document):
    import json

    import cdk.config.agent_openapi as module

    (tmp_path / "api.json").write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setattr(module, "REPO_ROOT", tmp_path)
    with pytest.raises(ConfigError) as error:
        _agents({"weather": {**_api_key()["weather"], "schema": "api.json"}})
    assert f"{PATH}.weather.schema" in str(error.value) and "object" in str(error.value), str(error.value)
