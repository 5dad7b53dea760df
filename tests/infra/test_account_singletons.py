"""Account-level singletons (one owner per account and region) and retry-safe retained log groups."""

from __future__ import annotations

import json
from collections import defaultdict

from cdk.config import load_app_config
from tests.infra.synth import cdk_context, flat

SINGLETON_TYPES = {
    "Custom::BedrockModelInvocationLogging": "Bedrock model invocation logging",
    "AWS::ApiGateway::Account": "API Gateway's account CloudWatch role",
    "AWS::CloudTrail::Trail": "CloudTrail trail",
}


def _config():
    return load_app_config(cdk_context())


def _place(env) -> tuple[str, str]:
    return (env.account or "default", env.region)


def test_each_account_singleton_has_exactly_one_owner_per_account_and_region(synthesized):
    config = _config()
    owners: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for stack in synthesized.stacks:
        if stack.environment not in config.names:
            continue
        place = _place(config.environment(stack.environment))
        for resource in stack.resources.values():
            if resource["Type"] in SINGLETON_TYPES:
                owners[(*place, resource["Type"])].append(stack.environment)
    places = {_place(env) for env in config.environments}
    for place in places:
        for resource_type in SINGLETON_TYPES:
            assert len(owners[(*place, resource_type)]) == 1, (place, resource_type, owners[(*place, resource_type)])


def test_the_strictest_environment_owns_the_singletons_so_destroying_dev_leaves_prod_logged(synthesized):
    config = _config()
    dev, prod = config.environment("dev"), config.environment("prod")
    assert _place(dev) == _place(prod)  # the shipped environments share one account and region
    for stack in synthesized.stacks:
        if stack.environment == "dev":
            found = {r["Type"] for r in stack.resources.values()} & set(SINGLETON_TYPES)
            assert not found, f"dev's {stack.construct_id} stack owns {found}: destroying dev would remove them"
    prod_types = {r["Type"] for s in synthesized.stacks if s.environment == "prod" for r in s.resources.values()}
    assert set(SINGLETON_TYPES) <= prod_types


def test_the_strictest_retention_wins(synthesized):
    config = _config()
    sharing = [env for env in config.environments if _place(env) == _place(config.environment("prod"))]
    longest_invocation_logs = max(env.bedrock.invocation_logging.log_retention_days for env in sharing)
    longest_trail_logs = max(env.observability.cloudtrail.log_retention_days for env in sharing)
    longest_trail_files = max(env.observability.cloudtrail.expiration_days for env in sharing)
    bedrock = synthesized.stack("prod", "Bedrock")
    invocation_groups = [r for r in bedrock.resources_of_type("AWS::Logs::LogGroup").values()
                         if "model-invocations" in json.dumps(r["Properties"].get("LogGroupName", ""))
                         and "provider" not in json.dumps(r["Properties"].get("LogGroupName", ""))]
    assert [g["Properties"]["RetentionInDays"] for g in invocation_groups] == [longest_invocation_logs]
    observability = synthesized.stack("prod", "Observability")
    (trail_group,) = [r for r in observability.resources_of_type("AWS::Logs::LogGroup").values()
                      if "/cloudtrail/" in json.dumps(r["Properties"].get("LogGroupName", ""))]
    assert trail_group["Properties"]["RetentionInDays"] == longest_trail_logs
    expirations = [rule.get("ExpirationInDays")
                   for bucket in observability.resources_of_type("AWS::S3::Bucket").values()
                   for rule in bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])]
    assert longest_trail_files in expirations
    for resource in [*invocation_groups, trail_group]:
        assert resource["DeletionPolicy"] in ("Retain", "RetainExceptOnCreate")


def test_api_stages_deploy_after_the_account_cloudwatch_role_in_the_owner(synthesized):
    api = synthesized.stack("prod", "Api")
    (account_id, account), = api.resources_of_type("AWS::ApiGateway::Account").items()
    role_ref = flat(account["Properties"]["CloudWatchRoleArn"])
    role_id = role_ref.removeprefix("${").split(".")[0]
    role = api.resources[role_id]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert role["DeletionPolicy"] == "RetainExceptOnCreate"  # other environments' stages keep logging
    for logical_id, stage in api.resources_of_type("AWS::ApiGateway::Stage").items():
        assert account_id in stage.get("DependsOn", []), logical_id


def test_no_retained_log_group_keeps_a_fixed_name_with_plain_retain(synthesized):
    """A named log group with DeletionPolicy Retain survives a rolled-back first create and blocks the retry
    ("already exists"); RetainExceptOnCreate deletes it when the create fails."""
    offenders = []
    for stack in synthesized.stacks:
        for logical_id, group in stack.resources_of_type("AWS::Logs::LogGroup").items():
            if "LogGroupName" in group.get("Properties", {}) and group.get("DeletionPolicy") == "Retain":
                offenders.append(f"{stack.stack_name}/{logical_id}")
    assert not offenders


def test_cloudtrail_grants_name_the_trail_and_the_account(synthesized):
    """Confused-deputy conditions on every grant to cloudtrail.amazonaws.com in the bucket and key policies. (The
    CloudWatch Logs delivery role's trust is exempt: CloudTrail's guide says that role does not support
    aws:SourceArn or aws:SourceAccount.)"""
    observability = synthesized.stack("prod", "Observability")
    statements = []
    for policy_type, key in (("AWS::S3::BucketPolicy", "PolicyDocument"), ("AWS::KMS::Key", "KeyPolicy")):
        for resource in observability.resources_of_type(policy_type).values():
            statements += resource["Properties"][key]["Statement"]
    to_cloudtrail = [s for s in statements if s["Effect"] == "Allow"
                     and "cloudtrail.amazonaws.com" in json.dumps(s.get("Principal", {}))]
    assert len(to_cloudtrail) >= 4  # GetBucketAcl, PutObject, GenerateDataKey*, DescribeKey
    for statement in to_cloudtrail:
        condition = json.dumps(flat(statement.get("Condition", {})))
        assert "aws:SourceArn" in condition and ":trail/" in condition, statement


def test_the_doctor_asks_for_at_least_the_bootstrap_version_the_app_requires(synthesized):
    from tests.unit.test_doctor import doctor
    required = {value for manifest in synthesized.manifests() for value in _find(manifest, "requiresBootstrapStackVersion")}
    assert required and max(required) <= doctor.MIN_BOOTSTRAP_VERSION


def _find(value, key):
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                yield v
            yield from _find(v, key)
    elif isinstance(value, list):
        for item in value:
            yield from _find(item, key)
