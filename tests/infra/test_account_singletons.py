"""Account-level singletons: one account stack per account and region, deployed before (and without) any
environment; retry-safe retained log groups."""

from __future__ import annotations

import json

from cdk.config import load_app_config
from tests.infra.synth import cdk_context, flat

SINGLETON_TYPES = {
    "Custom::BedrockModelInvocationLogging": "Bedrock model invocation logging",
    "AWS::ApiGateway::Account": "API Gateway's account CloudWatch role",
    "AWS::CloudTrail::Trail": "CloudTrail trail",
}


def _config():
    return load_app_config(cdk_context())


def test_each_account_and_region_has_one_account_stack_holding_every_singleton_once(synthesized):
    config = _config()
    places = config.account_places
    assert [p.environments for p in places] == [("dev", "staging", "prod")]  # shipped: one shared account+region
    assert sorted(s.stack_name for s in synthesized.account_stacks()) == sorted(p.stack_name for p in places)
    for place in places:
        stack = synthesized.stack(place.stage_id, "Account")
        types = [r["Type"] for r in stack.resources.values() if r["Type"] in SINGLETON_TYPES]
        assert sorted(types) == sorted(SINGLETON_TYPES), place.stage_id


def test_no_environment_stack_holds_a_singleton_so_destroying_any_environment_leaves_them(synthesized):
    for stack in synthesized.stacks:
        if stack.environment in _config().names:
            found = {r["Type"] for r in stack.resources.values()} & set(SINGLETON_TYPES)
            assert not found, f"{stack.stack_name} holds {found}: destroying {stack.environment} would remove them"


def test_the_strictest_retention_wins(synthesized):
    config = _config()
    place = config.account_place("dev")
    sharing = [config.environment(name) for name in place.environments]
    longest_invocation_logs = max(env.bedrock.invocation_logging.log_retention_days for env in sharing)
    longest_invocation_files = max(env.bedrock.invocation_logging.bucket_expiration_days for env in sharing)
    longest_trail_logs = max(env.observability.cloudtrail.log_retention_days for env in sharing)
    longest_trail_files = max(env.observability.cloudtrail.expiration_days for env in sharing)
    assert longest_trail_files > config.environment("dev").observability.cloudtrail.expiration_days  # a real test
    stack = synthesized.account_stack_of("dev")
    groups = {lid: r for lid, r in stack.resources_of_type("AWS::Logs::LogGroup").items()}
    (invocation_group,) = [r for r in groups.values()
                           if json.dumps(r["Properties"].get("LogGroupName", "")).endswith('/bedrock/model-invocations"')]
    assert invocation_group["Properties"]["RetentionInDays"] == longest_invocation_logs
    (trail_group,) = [r for r in groups.values() if "/cloudtrail/" in json.dumps(r["Properties"].get("LogGroupName", ""))]
    assert trail_group["Properties"]["RetentionInDays"] == longest_trail_logs
    expirations = {lid: rule.get("ExpirationInDays")
                   for lid, bucket in stack.resources_of_type("AWS::S3::Bucket").items()
                   for rule in bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])}
    assert longest_trail_files in [days for lid, days in expirations.items() if lid.startswith("AuditTrail")]
    assert longest_invocation_files in [days for lid, days in expirations.items() if lid.startswith("InvocationLogging")]
    for resource in [invocation_group, trail_group]:
        assert resource["DeletionPolicy"] in ("Retain", "RetainExceptOnCreate")


def test_the_account_stack_sets_api_gateways_cloudwatch_role_and_keeps_it(synthesized):
    stack = synthesized.account_stack_of("dev")
    (account,) = stack.resources_of_type("AWS::ApiGateway::Account").values()
    role_id = flat(account["Properties"]["CloudWatchRoleArn"]).removeprefix("${").split(".")[0]
    role = stack.resources[role_id]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert role["DeletionPolicy"] == "RetainExceptOnCreate"  # stages keep logging if the account stack goes


def test_every_environments_api_stage_deploys_without_any_other_environments_stacks(synthesized):
    """In a fresh account, dev's stage must not need prod's stacks: no stack of an environment depends on (or
    references) a stack outside its own stage, and its stages wait for no AWS::ApiGateway::Account of their own."""
    for manifest in synthesized.manifests():
        artifacts = manifest.get("artifacts", {})
        for name in [n for n, artifact in artifacts.items() if artifact.get("type") == "aws:cloudformation:stack"]:
            outside = [d for d in artifacts[name].get("dependencies", []) if d not in artifacts]
            assert not outside, (name, outside)
    for environment in _config().names:
        api = synthesized.stack(environment, "Api")
        assert api.resources_of_type("AWS::ApiGateway::Stage"), environment
        template = json.dumps(api.template)
        assert "Fn::ImportValue" not in template and "AWS::ApiGateway::Account" not in template, environment


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
    observability = synthesized.account_stack_of("prod")
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
