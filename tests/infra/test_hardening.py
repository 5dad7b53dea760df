"""Issue 12 (infrastructure side): alarms reach someone, images meet the guardrail, service principals act only
for this account, the API's edges (no decorative usage plan, WAF body inspection, redacted logs), and Cognito
user-pool auth as a shipped mode."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdk.components.bedrock_guardrail.props import IMAGE_CONTENT_FILTERS
from cdk.components.orchestration_api.construct import ROUTES
from cdk.config import ConfigError, load_app_config
from stacks.alerting_stack import NO_SUBSCRIBER_WARNING, needs_subscriber
from tests.infra.synth import cdk_context, flat

ENVIRONMENTS = ("dev", "staging", "prod")
ACCOUNT = "${AWS::AccountId}"
# Condition keys that tie a service principal's use to this account's resources.
CONFUSED_DEPUTY_KEYS = ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "kms:EncryptionContext:")
DEPUTY_KEY_PREFIXES = tuple(key.lower() for key in CONFUSED_DEPUTY_KEYS)


def _config(environment: str):
    return load_app_config(cdk_context()).environment(environment)


def _statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    props = resource["Properties"]
    document = props.get("KeyPolicy") or props.get("PolicyDocument") or {"Statement": []}
    return flat(document["Statement"])


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _service_statements(statements: list[dict[str, Any]], service: str) -> list[dict[str, Any]]:
    return [s for s in statements if s["Effect"] == "Allow" and isinstance(s.get("Principal"), dict)
            and service in _as_list(s["Principal"].get("Service", []))]


# Item 1: alarms reach someone.
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_cloudwatch_may_publish_to_the_alarm_topic_and_use_its_key_for_this_accounts_alarms_only(
        synthesized, environment):
    stack = synthesized.stack(environment, "Alerting")
    alarm_arns = f"arn:aws:cloudwatch:{_config(environment).region}:{ACCOUNT}:alarm:*"  # partition: region known
    expected = {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": alarm_arns}}
    (policy,) = stack.resources_of_type("AWS::SNS::TopicPolicy").values()
    (publish,) = _service_statements(_statements(policy), "cloudwatch.amazonaws.com")
    assert _as_list(publish["Action"]) == ["sns:Publish"] and publish["Condition"] == expected
    (key,) = stack.resources_of_type("AWS::KMS::Key").values()
    (use_key,) = _service_statements(_statements(key), "cloudwatch.amazonaws.com")
    assert sorted(_as_list(use_key["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert use_key["Condition"] == expected


def _metadata(synthesized, environment: str, construct_id: str, kind: str) -> list[Any]:
    template_file = synthesized.stack(environment, construct_id).template_file
    metadata_file = template_file.with_name(template_file.name.replace(".template.json", ".metadata.json"))
    metadata = json.loads(metadata_file.read_text()) if metadata_file.is_file() else {}
    return [e["data"] for entries in metadata.values() for e in entries if e["type"] == kind]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_an_environment_that_keeps_its_data_or_has_a_budget_warns_when_no_one_hears_its_alarms(synthesized, environment):
    """A warning, which the policy gates turn into a stop unless the environment states a reason."""
    config = _config(environment).observability
    unheard = needs_subscriber(_config(environment)) and not (config.alarm_emails or config.alarm_topic_arn)
    warnings = [w for w in _metadata(synthesized, environment, "Alerting", "aws:cdk:warning")
                if NO_SUBSCRIBER_WARNING in str(w)]
    acknowledged = {rule: reason for entry in _metadata(synthesized, environment, "Alerting",
                                                                     "aws:cdk:acknowledged-rules")
                    for rule, reason in entry.items() if NO_SUBSCRIBER_WARNING in rule}
    assert bool(warnings or acknowledged) is unheard, (warnings, acknowledged)
    if unheard and config.no_alarm_subscriber_reason:
        assert list(acknowledged.values()) == [config.no_alarm_subscriber_reason]
    elif unheard:
        assert f"environments.{environment}.observability" in warnings[0] and "alarm_topic_arn" in warnings[0]


def test_alarm_topic_arn_must_be_an_sns_topic_arn():
    environment = {"region": "eu-west-1", "observability": {"alarm_topic_arn": "arn:aws:sqs:eu-west-1:1:q"}}
    with pytest.raises(ConfigError) as error:
        load_app_config({"environments": {"dev": environment}})
    assert error.value.path == "environments.dev.observability.alarm_topic_arn"


def test_an_existing_alarm_topic_is_used_instead_of_a_new_one():
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from cdk.components.alarm_topic import AlarmTopic

    stack = Stack(App(), "Example")
    arn = "arn:aws:sns:eu-west-1:111122223333:ops-alarms"
    topic = AlarmTopic(stack, "Alarms", emails=["oncall@example.com"], existing_topic_arn=arn)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SNS::Topic", 0)
    template.resource_count_is("AWS::KMS::Key", 0)
    template.has_resource_properties("AWS::SNS::Subscription", {"TopicArn": arn, "Protocol": "email"})
    assert topic.has_subscribers


def test_adding_a_publisher_is_one_typed_argument():
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from cdk.components.alarm_topic import BUDGETS, CLOUDWATCH_ALARMS, AlarmTopic

    stack = Stack(App(), "Example")
    AlarmTopic(stack, "Alarms", publishers=[CLOUDWATCH_ALARMS, BUDGETS])
    policy = next(iter(Template.from_stack(stack).find_resources("AWS::SNS::TopicPolicy").values()))
    (budgets,) = _service_statements(_statements(policy), "budgets.amazonaws.com")
    assert budgets["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:${{AWS::Partition}}:budgets::{ACCOUNT}:*"
    assert budgets["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT


# Item 6: service principals act only for this account (outside SageMaker, Step Functions and CloudTrail).
def test_every_service_principal_grant_in_key_bucket_and_topic_policies_is_scoped(synthesized):
    """Every stage: the environments and the account stacks (CloudTrail's bucket and key included)."""
    unscoped = []
    for stack in synthesized.stacks:
        for kind in ("AWS::KMS::Key", "AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy"):
            for logical_id, resource in stack.resources_of_type(kind).items():
                for statement in _statements(resource):
                    principal = statement.get("Principal")
                    if statement["Effect"] != "Allow" or not isinstance(principal, dict) or "Service" not in principal:
                        continue
                    keys = [key for operator in (statement.get("Condition") or {}).values() for key in operator]
                    # Condition keys are case-insensitive (IAM User Guide, "IAM JSON policy elements: Condition");
                    # CloudFront's origin access control grant is written AWS:SourceArn.
                    if not any(key.lower().startswith(DEPUTY_KEY_PREFIXES) for key in keys):
                        unscoped.append((f"{stack.environment}/{stack.construct_id}", logical_id, principal["Service"]))
    assert not unscoped


# Item 5: images meet the guardrail's content filters.
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_guardrail_filters_images_in_every_category_that_supports_them(synthesized, environment):
    (guardrail,) = synthesized.stack(environment, "Bedrock").resources_of_type("AWS::Bedrock::Guardrail").values()
    filters = {f["Type"]: f for f in guardrail["Properties"]["ContentPolicyConfig"]["FiltersConfig"]}
    for kind, config in filters.items():
        expected = ["TEXT", "IMAGE"] if kind in IMAGE_CONTENT_FILTERS else ["TEXT"]
        assert config["InputModalities"] == expected, kind
        assert config["OutputModalities"] == expected, kind
    assert set(IMAGE_CONTENT_FILTERS) <= set(filters)


def test_image_modality_is_refused_where_aws_does_not_support_it():
    from cdk.components.bedrock_guardrail import ContentFilterSpec
    from cdk.components.bedrock_guardrail.construct import _check

    policy = type("Policy", (), {"content_filters": [
        ContentFilterSpec(kind, "HIGH", "NONE" if kind == "PROMPT_ATTACK" else "HIGH",
                          input_modalities=("TEXT", "IMAGE") if kind == "PROMPT_ATTACK" else None)
        for kind in ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK")]})
    with pytest.raises(ValueError, match="PROMPT_ATTACK: the IMAGE modality"):
        _check(policy)


# Item 7: the API's edges.
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_no_usage_plan_or_api_key_pretends_to_limit_clients(synthesized, environment):
    stack = synthesized.stack(environment, "Api")
    for kind in ("AWS::ApiGateway::UsagePlan", "AWS::ApiGateway::ApiKey", "AWS::ApiGateway::UsagePlanKey"):
        assert not stack.resources_of_type(kind), kind
    assert all(m["Properties"].get("ApiKeyRequired") in (None, False)
               for m in stack.resources_of_type("AWS::ApiGateway::Method").values())


def test_the_usage_plan_settings_are_gone_from_config():
    environment = {"region": "eu-west-1", "api": {"usage_plan_rate_limit": 5}}
    with pytest.raises(ConfigError) as error:
        load_app_config({"environments": {"dev": environment}})
    assert "usage_plan_rate_limit" in str(error.value)


def _field_matches(node: Any):
    if isinstance(node, dict):
        if "FieldToMatch" in node:
            yield node["FieldToMatch"]
        for value in node.values():
            yield from _field_matches(value)
    elif isinstance(node, list):
        for value in node:
            yield from _field_matches(value)


@pytest.mark.parametrize("environment", ("staging", "prod"))
def test_waf_inspects_a_stated_body_size_handles_oversize_bodies_explicitly_and_redacts_credentials(
        synthesized, environment):
    stack = synthesized.stack(environment, "Api")
    (acl,) = stack.resources_of_type("AWS::WAFv2::WebACL").values()
    limit = acl["Properties"]["AssociationConfig"]["RequestBody"]["API_GATEWAY"]["DefaultSizeInspectionLimit"]
    assert environment in _context_with("waf_body_inspection_limit_kb")  # stated, not a default
    assert limit == _config(environment).api.waf.body_inspection_limit
    bodies = [f[kind] for f in _field_matches(acl["Properties"]["Rules"]) for kind in ("Body", "JsonBody") if kind in f]
    assert bodies and all(body.get("OversizeHandling") in ("CONTINUE", "MATCH", "NO_MATCH") for body in bodies)
    (logging,) = stack.resources_of_type("AWS::WAFv2::LoggingConfiguration").values()
    redacted = {f["SingleHeader"]["Name"] for f in logging["Properties"]["RedactedFields"]}
    assert redacted == {"authorization", "x-amz-security-token"}


def _context_with(api_key: str) -> set[str]:
    return {name for name, env in cdk_context()["environments"].items() if api_key in env.get("api", {})}


# Item 2 (infrastructure side): Cognito user-pool auth is a shipped, tested mode.
def _cognito_environments() -> list[str]:
    return [name for name in ENVIRONMENTS if _config(name).api.authorization == "cognito"]


def test_at_least_one_shipped_environment_uses_the_user_pool_authorizer():
    assert _cognito_environments()


@pytest.mark.parametrize("environment", _cognito_environments())
def test_every_method_of_a_cognito_environment_uses_the_user_pool_authorizer(synthesized, environment):
    stack = synthesized.stack(environment, "Api")
    (authorizer_id, authorizer), = stack.resources_of_type("AWS::ApiGateway::Authorizer").items()
    (pool_id,) = stack.resources_of_type("AWS::Cognito::UserPool")
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert json.dumps(authorizer["Properties"]["ProviderARNs"]).count(pool_id) == 1
    methods = stack.resources_of_type("AWS::ApiGateway::Method")
    assert len(methods) == len(ROUTES)
    for method in methods.values():
        assert method["Properties"]["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert method["Properties"]["AuthorizerId"] == {"Ref": authorizer_id}


@pytest.mark.parametrize("environment", _cognito_environments())
def test_the_user_pool_and_its_client_of_a_cognito_environment(synthesized, environment):
    stack = synthesized.stack(environment, "Api")
    (pool,) = stack.resources_of_type("AWS::Cognito::UserPool").values()
    pool = pool["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "ON" and pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 14
    assert pool["UserPoolAddOns"]["AdvancedSecurityMode"] == "ENFORCED"
    (client,) = stack.resources_of_type("AWS::Cognito::UserPoolClient").values()
    client = client["Properties"]
    assert client["GenerateSecret"] is False
    assert sorted(client["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
    assert client["PreventUserExistenceErrors"] == "ENABLED" and client["EnableTokenRevocation"] is True
    assert (client["IdTokenValidity"], client["AccessTokenValidity"]) == (60, 60)
    assert client["TokenValidityUnits"] == {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"}
    outputs = synthesized.stack(environment, "Api").template.get("Outputs", {})
    assert {"UserPoolId", "UserPoolClientId"} <= {name for name in outputs}
