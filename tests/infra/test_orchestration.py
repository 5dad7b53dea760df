"""The orchestration API stack (genai-<env>-api): routes, auth, validation, throttling, logs, tracing,
WAF, the function and its permissions, the chat-history table."""

from __future__ import annotations

import json
import re
import typing
from typing import Any

import pytest

from cdk.components.comprehend_detection import COMPREHEND_ACTIONS
from cdk.components.orchestration_api import GATEWAY_ERRORS, REQUEST_SCHEMAS, ROUTES
from cdk.components.web_acl import (
    BODY_SIZE_RULE,
    MANAGED_RULE_GROUPS,
    OVERSIZE_BODY_RULE,
    RATE_RULE,
    decimal_greater_than_regex,
)
from cdk.config import load_app_config
from tests.infra.synth import cdk_context, function_variables

ENVIRONMENTS = ("dev", "staging", "prod")
# The orchestrator's environment contract (lambdas/orchestrator/orchestrator/settings.py, safety/settings.py).
CONTRACT_VARIABLES = (
    "ENVIRONMENT_NAME", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL", "MODELS",
    "DEFAULT_MODELS", "GUARDRAIL_ARN", "GUARDRAIL_VERSION", "SAFETY_CONFIG", "CONVERSATION_TABLE",
    "CONVERSATION_TTL_SECONDS", "CHAT_HISTORY_MAX_TOKENS", "REQUEST_DEADLINE_SECONDS", "MAX_INPUT_CHARS",
)
# Active tracing: X-Ray's write actions take only Resource "*".
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _config(env: str):
    return load_app_config(cdk_context()).environment(env)


def _one(resources: dict[str, Any]) -> dict[str, Any]:
    assert len(resources) == 1, list(resources)
    return next(iter(resources.values()))["Properties"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _paths(stack) -> dict[str, str]:
    """Logical ID of each API Gateway resource -> its full path."""
    resources = stack.resources_of_type("AWS::ApiGateway::Resource")

    def path(logical_id: str) -> str:
        props = resources[logical_id]["Properties"]
        parent = props["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{props['PathPart']}"

    return {logical_id: path(logical_id) for logical_id in resources}


def _methods(stack) -> dict[tuple[str, str], dict[str, Any]]:
    paths = _paths(stack)
    return {(m["Properties"]["HttpMethod"], paths[m["Properties"]["ResourceId"]["Ref"]]): m["Properties"]
            for m in stack.resources_of_type("AWS::ApiGateway::Method").values()}


def _function(stack, handler: str = "handler.handler") -> dict[str, Any]:
    """The buffered routes' function (``handler.handler``), or the streaming one (``run.sh``)."""
    return _one({lid: f for lid, f in stack.resources_of_type("AWS::Lambda::Function").items()
                 if f["Properties"]["Handler"] == handler})


def _function_id(stack, handler: str = "handler.handler") -> str:
    return next(lid for lid, f in stack.resources_of_type("AWS::Lambda::Function").items()
                if f["Properties"]["Handler"] == handler)


def _role_policies(stack) -> list[dict[str, Any]]:
    role_ref = _function(stack)["Role"]["Fn::GetAtt"][0]
    policies = []
    for resource in stack.resources.values():
        if resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy") and \
                {"Ref": role_ref} in resource["Properties"].get("Roles", []):
            policies.append(resource["Properties"]["PolicyDocument"])
    return policies


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def api(request, synthesized):
    return request.param, synthesized.stack(request.param, "Api")


def test_the_stack_is_named_per_environment(api):
    env, stack = api
    assert stack.stack_name == f"genai-{env}-api"


def test_the_conversation_routes_declare_their_parameters_for_the_validator(api):
    _, stack = api
    methods = _methods(stack)
    for method in ("GET", "DELETE"):
        props = methods[(method, "/v1/conversations/{conversation_id}")]
        assert props["RequestParameters"] == {"method.request.path.conversation_id": True}
        assert "RequestValidatorId" in props
    assert methods[("GET", "/v1/conversations")]["RequestParameters"] == {
        "method.request.querystring.limit": False, "method.request.querystring.next_token": False}
    assert "RequestParameters" not in methods[("POST", "/v1/generate")]


def test_every_route_proxies_to_the_one_function_with_the_configured_auth(api):
    env, stack = api
    methods = _methods(stack)
    assert set(methods) == {(route.method, route.path) for route in ROUTES}
    buffered, streaming = _function_id(stack), _function_id(stack, "run.sh")
    # Under SnapStart the gateway invokes the live alias (a published version); $LATEST never restores.
    if _config(env).api.lambda_snap_start:
        buffered = next(iter(stack.resources_of_type("AWS::Lambda::Alias")))
    streamed = {(route.method, route.path) for route in ROUTES if route.streamed}
    assert streamed == {("POST", "/v1/generate/stream"), ("POST", "/v1/chat/stream"), ("POST", "/v1/agent/stream")}
    expected = {"iam": "AWS_IAM", "cognito": "COGNITO_USER_POOLS"}[_config(env).api.authorization]
    for key, method in methods.items():
        assert method["AuthorizationType"] == expected, key
        assert method["Integration"]["Type"] == "AWS_PROXY", key
        uri = json.dumps(method["Integration"]["Uri"])
        if key in streamed:  # InvokeWithResponseStream, API Gateway streaming each chunk on
            assert method["Integration"]["ResponseTransferMode"] == "STREAM", key
            assert streaming in uri and "/2021-11-15/functions/" in uri and uri.endswith('/response-streaming-invocations"]]}')
            assert method["Integration"]["TimeoutInMillis"] == _config(env).api.streaming.settings.max_seconds * 1000
        else:
            assert "ResponseTransferMode" not in method["Integration"], key
            assert buffered in uri, key


def test_snap_start_on_published_versions_behind_the_live_alias(api):
    env, stack = api
    fn = _function(stack)
    if not _config(env).api.lambda_snap_start:
        assert "SnapStart" not in fn and not stack.resources_of_type("AWS::Lambda::Alias")
        return
    assert fn["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    function_id = _function_id(stack)
    alias = _one(stack.resources_of_type("AWS::Lambda::Alias"))
    assert alias["Name"] == "live" and alias["FunctionName"] == {"Ref": function_id}
    versions = stack.resources_of_type("AWS::Lambda::Version")
    assert len(versions) == 1  # only the live version: a replaced one is deleted, so one snapshot is cached
    (version_id, version), = versions.items()
    assert alias["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    assert version["DeletionPolicy"] == "Delete"
    # API Gateway may invoke the alias (the permission names it, not the unqualified function).
    # (The streamed routes' function has no SnapStart: its permissions name it.)
    streaming = _function_id(stack, "run.sh")
    permissions = [r["Properties"] for r in stack.resources_of_type("AWS::Lambda::Permission").values()
                   if streaming not in json.dumps(r["Properties"]["FunctionName"])]
    assert permissions and all("Live" in json.dumps(p["FunctionName"]) for p in permissions)


def test_the_streaming_function_runs_under_the_web_adapter_with_the_stream_contract(api):
    env, stack = api
    streaming = _config(env).api.streaming
    fn = _function(stack, "run.sh")
    variables = function_variables(stack.resources, fn)
    assert fn["Timeout"] == streaming.settings.max_seconds
    assert variables["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap" and variables["AWS_LWA_INVOKE_MODE"] == "response_stream"
    from orchestrator.stream_settings import StreamSettings

    assert StreamSettings.from_environment(variables) == streaming.settings
    assert set(CONTRACT_VARIABLES) <= set(variables)
    assert float(variables["REQUEST_DEADLINE_SECONDS"]) == streaming.settings.max_seconds
    [layer] = fn["Layers"]
    assert ":753240598075:layer:LambdaAdapterLayerArm64:" in json.dumps(layer) and fn["Architectures"] == ["arm64"]
    assert fn["ReservedConcurrentExecutions"] == streaming.lambda_reserved_concurrency


def test_post_bodies_are_validated_against_their_json_schema_models(api):
    _, stack = api
    validator = _one(stack.resources_of_type("AWS::ApiGateway::RequestValidator"))
    assert validator["ValidateRequestBody"] is True
    models = {lid: m["Properties"] for lid, m in stack.resources_of_type("AWS::ApiGateway::Model").items()}
    for (http_method, path), method in _methods(stack).items():
        assert "RequestValidatorId" in method
        if http_method != "POST":
            continue
        model = models[method["RequestModels"]["application/json"]["Ref"]]
        assert model["ContentType"] == "application/json"
        schema = model["Schema"]
        expected = REQUEST_SCHEMAS[path]
        assert schema["$schema"].startswith("http://json-schema.org/draft-04/schema")
        assert schema["additionalProperties"] is False and schema["required"] == expected["required"]
        assert set(schema["properties"]) == set(expected["properties"])


def test_throttling_and_stage_name_come_from_config(api):
    env, stack = api
    config = _config(env).api
    stage = _one(stack.resources_of_type("AWS::ApiGateway::Stage"))
    assert stage["StageName"] == config.stage_name
    everything = next(s for s in stage["MethodSettings"] if s["HttpMethod"] == "*" and s["ResourcePath"] == "/*")
    assert everything["ThrottlingRateLimit"] == config.throttle_rate_limit
    assert everything["ThrottlingBurstLimit"] == config.throttle_burst_limit
    assert everything["DataTraceEnabled"] is False


def test_access_logs_are_json_with_request_id_caller_status_and_latency_and_tracing_is_on(api):
    _, stack = api
    stage = _one(stack.resources_of_type("AWS::ApiGateway::Stage"))
    assert stage["TracingEnabled"] is True
    log_format = json.loads(stage["AccessLogSetting"]["Format"])
    for field, variable in (("requestId", "$context.requestId"), ("caller", "$context.identity.caller"),
                            ("userArn", "$context.identity.userArn"), ("status", "$context.status"),
                            ("responseLatency", "$context.responseLatency")):
        assert log_format[field] == variable
    destination = json.dumps(stage["AccessLogSetting"]["DestinationArn"])
    group_id = re.search(r'"Ref": "(AccessLogs[A-Za-z0-9]+)"', destination).group(1)
    assert "KmsKeyId" in stack.resources[group_id]["Properties"]
    assert "RetentionInDays" in stack.resources[group_id]["Properties"]


def test_gateway_errors_use_the_functions_json_error_shape(api):
    _, stack = api
    responses = {r["Properties"]["ResponseType"]: r["Properties"]
                 for r in stack.resources_of_type("AWS::ApiGateway::GatewayResponse").values()}
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses) == set(GATEWAY_ERRORS)
    for response_type, props in responses.items():
        template = props["ResponseTemplates"]["application/json"]
        # What API Gateway sends once it substitutes a (quoted) message and the request id.
        rendered = json.loads(template.replace("$context.error.messageString", '"Forbidden"')
                              .replace("$context.requestId", "abc-123"))
        assert rendered == {"error": {"code": GATEWAY_ERRORS[response_type][0], "message": "Forbidden"},
                            "request_id": "abc-123"}
        assert props["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/json'"


def test_the_api_url_is_published_as_ApiUrl(api):
    _, stack = api
    outputs = stack.template["Outputs"]
    assert "ApiUrl" in outputs
    assert "execute-api" in json.dumps(outputs["ApiUrl"]["Value"])
    assert not [name for name in outputs if name.startswith("ApiRestApiEndpoint")]


def test_waf_only_in_staging_and_prod_with_the_body_size_override(api):
    env, stack = api
    config = _config(env).api
    acls = stack.resources_of_type("AWS::WAFv2::WebACL")
    if env == "dev":
        assert not acls and not stack.resources_of_type("AWS::WAFv2::WebACLAssociation")
        return
    acl = _one(acls)
    assert acl["Scope"] == "REGIONAL"
    assert acl["AssociationConfig"]["RequestBody"]["API_GATEWAY"]["DefaultSizeInspectionLimit"] == \
        config.waf.body_inspection_limit
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    assert set(MANAGED_RULE_GROUPS) | {RATE_RULE, BODY_SIZE_RULE, OVERSIZE_BODY_RULE} == set(rules)
    common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    overrides = {o["Name"]: o["ActionToUse"] for o in common["RuleActionOverrides"]}
    assert overrides["SizeRestrictions_BODY"] == {"Count": {}}
    rate = rules[RATE_RULE]["Statement"]["RateBasedStatement"]
    assert (rate["Limit"], rate["AggregateKeyType"], rate["EvaluationWindowSec"]) == \
        (config.waf.rate_limit, "IP", config.waf.rate_limit_window_seconds)
    size = rules[BODY_SIZE_RULE]
    assert size["Action"] == {"Block": {}}
    assert size["Statement"]["RegexMatchStatement"]["RegexString"] == \
        decimal_greater_than_regex(config.max_request_body_bytes)
    association = _one(stack.resources_of_type("AWS::WAFv2::WebACLAssociation"))
    stage_id = next(iter(stack.resources_of_type("AWS::ApiGateway::Stage")))
    assert stage_id in json.dumps(association["ResourceArn"])
    logging = _one(stack.resources_of_type("AWS::WAFv2::LoggingConfiguration"))
    assert logging["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}},
                                         {"SingleHeader": {"Name": "x-amz-security-token"}}]


def test_the_function_runtime_architecture_timeouts_and_environment(api):
    env, stack = api
    config = _config(env)
    fn = _function(stack)
    assert fn["Runtime"] == "python3.14" and fn["Architectures"] == ["arm64"]
    assert fn["MemorySize"] == config.api.lambda_memory_mb
    assert fn["ReservedConcurrentExecutions"] == config.api.lambda_reserved_concurrency
    assert fn["TracingConfig"] == {"Mode": "Active"}
    assert fn["LoggingConfig"]["LogFormat"] == "JSON"
    variables = function_variables(stack.resources, fn)
    assert set(CONTRACT_VARIABLES) <= set(variables)
    # Issue 12 item 16: the ARN only (the Bedrock stack's guardrail ARN, exported), the form IAM's
    # bedrock:GuardrailIdentifier condition is written in; never the bare id.
    assert "GUARDRAIL_ID" not in variables and "GuardrailArn" in json.dumps(variables["GUARDRAIL_ARN"])
    # Issue 12 item 5: the shipped guardrail's content filters take images, so the function accepts them.
    assert variables["GUARDRAIL_SCREENS_IMAGES"] == "true"
    assert variables["POWERTOOLS_SERVICE_NAME"] == "orchestrator"
    assert variables["ENVIRONMENT_NAME"] == env
    assert json.loads(variables["SAFETY_CONFIG"])["fail_open"] is False
    assert set(json.loads(variables["DEFAULT_MODELS"])) == {"text", "chat", "code", "vision"}
    deadline = float(variables["REQUEST_DEADLINE_SECONDS"])
    integration_timeouts = {m["Integration"]["TimeoutInMillis"] / 1000 for m in _methods(stack).values()
                            if "ResponseTransferMode" not in m["Integration"]}
    assert integration_timeouts == {config.api.integration_timeout_seconds}
    assert deadline < config.api.integration_timeout_seconds <= fn["Timeout"]


def test_the_function_logs_to_its_own_encrypted_log_group(api):
    _, stack = api
    fn = _function(stack)
    group = stack.resources[fn["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
    assert "KmsKeyId" in group and "RetentionInDays" in group


def test_function_permissions_are_least_privilege(api):
    _, stack = api
    role = stack.resources[_function(stack)["Role"]["Fn::GetAtt"][0]]["Properties"]
    assert not role.get("ManagedPolicyArns"), "no AWS managed policies (AWSLambdaBasicExecutionRole)"
    assert not role.get("Policies"), "no inline policies"
    statements = [s for doc in _role_policies(stack) for s in doc["Statement"] if s["Effect"] == "Allow"]
    actions = {a for s in statements for a in _as_list(s["Action"])}
    assert not [a for a in actions if "*" in a]
    for statement in statements:
        if "*" in _as_list(statement["Resource"]):
            assert set(_as_list(statement["Action"])) <= set(COMPREHEND_ACTIONS) | XRAY_ACTIONS, statement
    comprehend = next(s for s in statements if "comprehend:DetectPiiEntities" in _as_list(s["Action"]))
    assert set(comprehend["Action"]) == set(COMPREHEND_ACTIONS)
    assert "aws:RequestedRegion" in comprehend["Condition"]["StringEquals"]
    table_id = next(iter(stack.resources_of_type("AWS::DynamoDB::Table")))
    dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in _as_list(s["Action"]))]
    assert all(table_id in json.dumps(s["Resource"]) for s in dynamodb)
    # The table: a conversation's items (query, conditional puts, the summary's update, deletes); no Scan,
    # no BatchWriteItem. The owner index: Query only, and nothing else reaches an index.
    on_index = [s for s in dynamodb if "/index/" in json.dumps(s["Resource"])]
    on_table = [s for s in dynamodb if s not in on_index]
    assert {a for s in on_table for a in _as_list(s["Action"])} == {
        "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    assert [_as_list(s["Action"]) for s in on_index] == [["dynamodb:Query"]]
    assert "/index/ByOwner" in json.dumps(on_index[0]["Resource"])
    assert "bedrock:InvokeModel" in actions and "bedrock:ApplyGuardrail" in actions
    assert {"logs:CreateLogStream", "logs:PutLogEvents"} <= actions and "logs:CreateLogGroup" not in actions


def test_the_chat_history_table(api):
    env, stack = api
    config = _config(env)
    table = next(iter(stack.resources_of_type("AWS::DynamoDB::Table").values()))
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "conversation_id", "KeyType": "HASH"},
                                  {"AttributeName": "turn", "KeyType": "RANGE"}]
    assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == \
        {"conversation_id": "S", "turn": "N", "listed_owner": "S", "updated_at": "N"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    # The owner index lists a caller's conversations: sparse keys (summary items only), minimal projection.
    (index,) = props["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "ByOwner"
    assert index["KeySchema"] == [{"AttributeName": "listed_owner", "KeyType": "HASH"},
                                  {"AttributeName": "updated_at", "KeyType": "RANGE"}]
    assert index["Projection"] == {"ProjectionType": "INCLUDE",
                                   "NonKeyAttributes": ["title", "model", "turns", "expires_at"]}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"]["SSEType"] == "KMS" and "KMSMasterKeyId" in props["SSESpecification"]
    pitr = props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False)
    assert pitr is config.api.conversation_point_in_time_recovery
    assert pitr is (env != "dev")
    assert table.get("DeletionPolicy") == ("Retain" if config.retain_data else "Delete")


# --------------------------------------------------------------------------- variants and building blocks
class _FakeModelAccess:
    def grant_invoke(self, grantee):
        grantee.grant_principal.add_to_principal_policy(_statement(
            ["bedrock:InvokeModel"], "arn:aws:bedrock:eu-west-1:111122223333:application-inference-profile/abc123"))

    def grant_apply_guardrail(self, grantee):
        grantee.grant_principal.add_to_principal_policy(_statement(
            ["bedrock:ApplyGuardrail"], "arn:aws:bedrock:eu-west-1:111122223333:guardrail/abc123"))


class _FakeEndpoint:
    endpoint_name = "genai-test-llm"
    model_descriptor: typing.ClassVar[dict[str, Any]] = {
        "id": "llama-inf2", "backend": "sagemaker", "endpoint": "genai-test-llm", "container": "tgi",
        "max_tokens": 1024, "price_in": 0, "price_out": 0,
    }

    def grant_invoke(self, grantee):
        grantee.grant_principal.add_to_principal_policy(_statement(
            ["sagemaker:InvokeEndpoint"], "arn:aws:sagemaker:eu-west-1:111122223333:endpoint/genai-test-llm"))


def _statement(actions, resource):
    from aws_cdk import aws_iam as iam

    return iam.PolicyStatement(actions=actions, resources=[resource])


def _variant_app(tmp_path, api_overrides, models=None):
    """One Api stack on a bare app (fake Bedrock and SageMaker inputs), policy gates attached."""
    import sys

    from aws_cdk import App, Stage

    from cdk.policy import apply_policy_gates
    from stacks.orchestration_stack import OrchestrationStack
    from stacks.orchestrator_settings import OrchestratorInputs
    from tests.infra.synth import ROOT

    sys.path.insert(0, str(ROOT / "scripts"))
    from build_lambda_assets import build_all

    build_all()
    context = {"environments": {"test": {"region": "eu-west-1", "removal_policy": "destroy", "api": api_overrides}}}
    config = load_app_config(context).environment("test")
    app = App(outdir=str(tmp_path), analytics_reporting=False)
    stage = Stage(app, "test")
    stack = OrchestrationStack(
        stage, "Api", stack_name="genai-test-api", config=config, model_access=_FakeModelAccess(),
        inputs=OrchestratorInputs(
            model_descriptors=models if models is not None else [
                {"id": "m1", "backend": "bedrock", "target": "arn:aws:bedrock:eu-west-1:111122223333:"
                 "application-inference-profile/abc123", "max_tokens": 4096, "image": True}],
            default_models={"text": "m1", "chat": "m1", "code": "m1", "vision": "m1"},
            guardrail_arn="arn:aws:bedrock:eu-west-1:111122223333:guardrail/abc123", guardrail_version="1",
            endpoint=_FakeEndpoint()),
    )
    apply_policy_gates(app)
    return app, stack


@pytest.fixture(scope="module")
def cognito_variant(tmp_path_factory):
    from aws_cdk.assertions import Template

    outdir = tmp_path_factory.mktemp("variant")
    app, stack = _variant_app(outdir, {
        "authorization": "cognito",
        "execution_log_level": "error", "waf_enabled": True, "waf_count_rules": ["CrossSiteScripting_BODY"],
        "integration_timeout_seconds": 120, "integration_timeout_quota_raised": True,
    })
    error = None
    try:
        app.synth()
    except RuntimeError as exc:
        error = str(exc)
    return Template.from_stack(stack), error, outdir / "validation-report.json"


def test_cognito_and_raised_timeout_variant(cognito_variant):
    template, error, _ = cognito_variant
    assert error is None, error
    template.resource_count_is("AWS::Cognito::UserPool", 1)
    authorizers = template.find_resources("AWS::ApiGateway::Authorizer")
    assert [a["Properties"]["Type"] for a in authorizers.values()] == ["COGNITO_USER_POOLS"]
    methods = template.find_resources("AWS::ApiGateway::Method")
    assert len(methods) == len(ROUTES)
    for method in methods.values():
        props = method["Properties"]
        assert props["AuthorizationType"] == "COGNITO_USER_POOLS"
        streamed = props["Integration"].get("ResponseTransferMode") == "STREAM"
        assert props["Integration"]["TimeoutInMillis"] == (300_000 if streamed else 120_000)
    fn = next(f for f in template.find_resources("AWS::Lambda::Function").values()
              if f["Properties"]["Handler"] == "handler.handler")["Properties"]
    variables = function_variables(template.to_json()["Resources"], fn)
    assert fn["Timeout"] == 120 and variables["REQUEST_DEADLINE_SECONDS"] == "117"
    models = json.loads(variables["MODELS"])
    assert [m["backend"] for m in models] == ["bedrock", "sagemaker"]
    stage = next(iter(template.find_resources("AWS::ApiGateway::Stage").values()))["Properties"]
    assert json.loads(stage["AccessLogSetting"]["Format"])["cognitoSub"] == "$context.authorizer.claims.sub"
    acl = next(iter(template.find_resources("AWS::WAFv2::WebACL").values()))["Properties"]
    common = next(r for r in acl["Rules"] if r["Name"] == "AWSManagedRulesCommonRuleSet")
    counted = {o["Name"] for o in common["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"]}
    assert counted == {"SizeRestrictions_BODY", "CrossSiteScripting_BODY"}
    statements = [s for p in template.find_resources("AWS::IAM::ManagedPolicy").values()
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert any("sagemaker:InvokeEndpoint" in _as_list(s["Action"]) for s in statements)


def test_cognito_variant_passes_the_policy_gates(cognito_variant):
    _, error, report_file = cognito_variant
    assert error is None, error
    report = json.loads(report_file.read_text()) if report_file.is_file() else {"pluginReports": []}
    violations = [v["ruleName"] for p in report["pluginReports"] for v in p.get("violations", [])]
    assert not violations, violations


def _big_models(count: int) -> list[dict[str, Any]]:
    return [{"id": f"model-{i}", "backend": "bedrock", "target": "arn:aws:bedrock:eu-west-1:111122223333:"
             f"application-inference-profile/{'x' * 40}{i}", "max_tokens": 4096} for i in range(count)]


def test_many_models_fit_their_settings_parameter_and_leave_the_environment_small(tmp_path):
    """The stream function had 69 bytes of its 4 KB environment left with 3 models and a knowledge base: the JSON
    settings that grow with the configuration now live in an SSM parameter (Advanced tier once over 4 KB)."""
    from cdk.components.python_function import PythonFunction, estimate_environment_bytes

    app, stack = _variant_app(tmp_path, {}, models=_big_models(20))
    functions = [c for c in stack.node.find_all() if isinstance(c, PythonFunction)]
    assert len(functions) == 2
    for function in functions:
        total, per_variable = estimate_environment_bytes(function, function.environment)
        assert total <= 2048 and "MODELS" not in per_variable, per_variable
        assert function.settings_parameter.node.default_child.tier == "Advanced"
    app.synth()


def test_settings_over_an_advanced_parameters_8_kb_fail_synth_naming_the_function(tmp_path):
    app, _ = _variant_app(tmp_path, {}, models=_big_models(30))
    with pytest.raises(RuntimeError, match=r"settings parameter of test/Api/Orchestrator may reach \d+ bytes once "
                                           r"deployed, over SSM's 8192-byte limit"):
        app.synth()


def test_tokens_are_counted_at_their_longest():
    from aws_cdk import App, Stack
    from aws_cdk import aws_dynamodb as dynamodb

    from cdk.components.python_function import estimate_environment_bytes

    stack = Stack(App(), "S")
    table = dynamodb.Table(stack, "T", partition_key=dynamodb.Attribute(name="k", type=dynamodb.AttributeType.STRING))
    total, per_variable = estimate_environment_bytes(stack, {"TABLE": table.table_name, "PLAIN": "abc"})
    assert per_variable == {"TABLE": len("TABLE") + 255, "PLAIN": len("PLAIN") + 3}
    assert total == 2 + sum(size + len('"":"",') for size in per_variable.values())


@pytest.mark.parametrize("limit", [0, 7, 9, 10, 99, 100, 5_428_416, 65_536, 999_999])
def test_the_body_size_regex_matches_exactly_the_numbers_above_the_limit(limit):
    pattern = re.compile(decimal_greater_than_regex(limit))
    for value in {0, 1, limit - 1, limit, limit + 1, limit * 10, limit + 100, 10 ** len(str(limit)), 123_456_789}:
        if value < 0:
            continue
        assert bool(pattern.match(str(value))) is (value > limit), (limit, value)
    assert pattern.match("0" + str(limit + 1)) and not pattern.match(f"{limit}x")


def test_gateway_schemas_accept_what_the_orchestrator_accepts_and_refuse_unknown_fields():
    jsonschema = pytest.importorskip("jsonschema")
    valid = {
        "/v1/generate": {"use_case": "summarize", "input": "Text to summarize", "context": None,
                         "instructions": {"tone": "formal", "constraints": ["at most 50 words"], "language": None},
                         "examples": [{"input": "a", "output": "b"}], "chain_of_thought": False,
                         "parameters": {"max_new_tokens": 200, "temperature": None, "top_p": 0.9,
                                        "stop_sequences": ["END"], "sampling": "random"},
                         "model": "m1", "image": {"format": "png", "data": "iVBORw0KGgo="}},
        "/v1/compare": {"use_case": "summarize", "input": "x", "models": ["m1", "m2"], "parameters": None},
        "/v1/chat": {"message": "Hello", "conversation_id": "0b7e4b7c-8f3a-4c1d-9e2f-1a2b3c4d5e6f",
                     "parameters": {"sampling": "greedy"}},
        "/v1/moderate": {"text": "Hello there", "language": "en"},
    }
    for path, body in valid.items():
        jsonschema.Draft4Validator(REQUEST_SCHEMAS[path]).validate(body)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft4Validator(REQUEST_SCHEMAS[path]).validate({**body, "unexpected": 1})
    for path, body in {"/v1/chat": {"message": "   "}, "/v1/compare": {"use_case": "u", "input": "x", "models": ["a"]},
                       "/v1/moderate": {"text": "x", "language": "english"}}.items():
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.Draft4Validator(REQUEST_SCHEMAS[path]).validate(body)


def test_the_endpoint_model_is_rendered_with_its_own_chat_template(api):
    """Issue 12 item 12: the Inferentia endpoint's MODELS entry names the served model's chat template (Zephyr
    for the shipped zephyr-7b-beta weights), not the plain ``User:``/``Assistant:`` lines."""
    env, stack = api
    models = function_variables(stack.resources, _function(stack))["MODELS"]  # Bedrock entries carry ARN tokens
    endpoints = [json.loads(entry) for entry in re.findall(r'\{[^{}]*"backend":"sagemaker"[^{}]*\}', models)]
    expected = {"dev": [], "staging": ["zephyr"], "prod": ["zephyr"]}[env]
    assert [model.get("template", "generic") for model in endpoints] == expected
