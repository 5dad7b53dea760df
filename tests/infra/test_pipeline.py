"""Delivery: the CDK pipeline's stages, approvals and smoke tests; the GitHub OIDC deploy roles.

The committed cdk.json ships without a pipeline, so this module synthesizes the app once more with a
test-only delivery configuration (placeholder accounts and connection) built here. Prod lives in another
account and region, which exercises cross-account artifacts and CodePipeline's cross-region support stack.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cdk.config import load_app_config
from tests.infra.synth import ROOT, SynthesizedApp, cdk_context, synthesize

TOOLING_ACCOUNT = "111111111111"
PROD_ACCOUNT = "222222222222"
PROD_REGION = "eu-central-1"
REPOSITORY = "example-org/genai-stack"
CONNECTION_ARN = f"arn:aws:codeconnections:eu-west-1:{TOOLING_ACCOUNT}:connection/00000000-0000-4000-8000-000000000000"
GITHUB_OIDC = "token.actions.githubusercontent.com"


def delivery_context() -> dict[str, Any]:
    context = cdk_context()
    context["environments"]["prod"] = {**context["environments"]["prod"], "account": PROD_ACCOUNT, "region": PROD_REGION}
    # prod leaves the shared account: two places, so two account stacks (each with its strictest settings).
    context["pipeline"] = {"account": TOOLING_ACCOUNT, "region": "eu-west-1", "connection_arn": CONNECTION_ARN,
                           "repository": REPOSITORY, "branch": "main"}
    context["github"] = {"repository": REPOSITORY, "branch": "main", "account": TOOLING_ACCOUNT}
    return context


class Delivery:
    def __init__(self, app: SynthesizedApp) -> None:
        self.app = app
        manifest = json.loads((app.outdir / "manifest.json").read_text())
        self.templates: dict[str, Path] = {
            artifact.get("displayName", name): app.outdir / artifact["properties"]["templateFile"]
            for name, artifact in manifest["artifacts"].items() if artifact.get("type") == "aws:cloudformation:stack"
        }

    def template(self, display_name: str) -> dict[str, Any]:
        return json.loads(self.templates[display_name].read_text())

    def resources(self, display_name: str, resource_type: str) -> dict[str, Any]:
        return {lid: r for lid, r in self.template(display_name)["Resources"].items() if r["Type"] == resource_type}

    @property
    def stages(self) -> list[dict[str, Any]]:
        (pipeline,) = self.resources("Delivery", "AWS::CodePipeline::Pipeline").values()
        return pipeline["Properties"]["Stages"]

    def stage(self, name: str) -> dict[str, Any]:
        return next(stage for stage in self.stages if stage["Name"] == name)

    def policy_statements_of_project(self, project_logical_id: str) -> list[dict[str, Any]]:
        projects = self.resources("Delivery", "AWS::CodeBuild::Project")
        role_id = projects[project_logical_id]["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
        return [statement for policy in self.resources("Delivery", "AWS::IAM::Policy").values()
                if {"Ref": role_id} in policy["Properties"]["Roles"]
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]]


@pytest.fixture(scope="module")
def delivery(tmp_path_factory) -> Delivery:
    return Delivery(synthesize(tmp_path_factory.mktemp("cdk.out.delivery"), delivery_context()))


# --------------------------------------------------------------------------- pipeline


def test_pipeline_and_oidc_stacks_are_top_level_stacks_of_the_tooling_account(delivery):
    manifest = json.loads((delivery.app.outdir / "manifest.json").read_text())
    environments = {a["displayName"]: a["environment"] for a in manifest["artifacts"].values()
                    if a.get("type") == "aws:cloudformation:stack"}
    assert environments["Delivery"] == f"aws://{TOOLING_ACCOUNT}/eu-west-1"
    assert environments["GitHubOidc"] == f"aws://{TOOLING_ACCOUNT}/eu-west-1"


def test_stages_run_source_build_self_update_assets_then_dev_staging_prod(delivery):
    names = [stage["Name"] for stage in delivery.stages]
    assert names[:3] == ["Source", "Build", "UpdatePipeline"]
    environments = [name for name in names if name in ("dev", "staging", "prod")]
    assert environments == ["dev", "staging", "prod"]
    assert names.index("Assets") < names.index("dev")
    (source,) = delivery.stage("Source")["Actions"]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"]["ConnectionArn"] == CONNECTION_ARN
    assert (source["Configuration"]["FullRepositoryId"], source["Configuration"]["BranchName"]) == (REPOSITORY, "main")


def test_the_first_wave_deploys_the_account_stack_of_every_account_and_region_before_dev(delivery):
    from stacks.pipeline_stack import ACCOUNT_WAVE

    names = [stage["Name"] for stage in delivery.stages]
    assert names.index("Assets") < names.index(ACCOUNT_WAVE) < names.index("dev")
    deploys = [a for a in delivery.stage(ACCOUNT_WAVE)["Actions"] if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    places = load_app_config(delivery_context()).account_places
    assert {a["Configuration"]["StackName"] for a in deploys} == {p.stack_name for p in places}
    # An action in the pipeline's own region (eu-west-1) carries no Region.
    assert {a.get("Region", "eu-west-1") for a in deploys} == {"eu-west-1", PROD_REGION}
    prod_account_stack = [a for a in deploys if a.get("Region") == PROD_REGION]
    assert prod_account_stack and all(f"cdk-hnb659fds-deploy-role-{PROD_ACCOUNT}-{PROD_REGION}" in json.dumps(a["RoleArn"])
                                      for a in prod_account_stack)
    # No environment stage deploys a singleton again.
    for name in ("dev", "staging", "prod"):
        stacks = {a["Configuration"]["StackName"] for a in delivery.stage(name)["Actions"]
                  if a["ActionTypeId"]["Provider"] == "CloudFormation"}
        assert not stacks & {p.stack_name for p in places}


def test_the_synth_step_runs_the_tests_then_synthesizes(delivery):
    (project,) = [p for lid, p in delivery.resources("Delivery", "AWS::CodeBuild::Project").items() if "Synth" in lid]
    build_spec = json.loads(project["Properties"]["Source"]["BuildSpec"])
    assert build_spec["phases"]["build"]["commands"] == ["make test", "make synth"]
    assert build_spec["phases"]["install"]["runtime-versions"] == {"python": "3.11"}
    assert build_spec["artifacts"]["base-directory"] == "cdk.out"


def test_a_manual_approval_comes_before_prod_and_only_before_prod(delivery):
    for name in ("dev", "staging", "prod"):
        actions = sorted(delivery.stage(name)["Actions"], key=lambda a: a["RunOrder"])
        approvals = [a for a in actions if a["ActionTypeId"]["Category"] == "Approval"]
        if name != "prod":
            assert not approvals, name
            continue
        (approval,) = approvals
        assert approval["RunOrder"] == 1
        deploys = [a for a in actions if a["ActionTypeId"]["Provider"] == "CloudFormation"]
        assert deploys and min(a["RunOrder"] for a in deploys) > approval["RunOrder"]


def test_every_environment_stack_is_deployed_by_the_stages_of_its_environment(delivery):
    for name in ("dev", "staging", "prod"):
        stacks = {a["Configuration"]["StackName"] for a in delivery.stage(name)["Actions"]
                  if a["ActionTypeId"]["Provider"] == "CloudFormation"}
        expected = {s.stack_name for s in delivery.app.stacks if s.environment == name}
        assert stacks == expected, name


def test_prod_is_deployed_cross_account_and_cross_region_through_its_bootstrap_roles(delivery):
    prod_deploys = [a for a in delivery.stage("prod")["Actions"] if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    for action in prod_deploys:
        assert action["Region"] == PROD_REGION
        deploy_role = f":iam::{PROD_ACCOUNT}:role/cdk-hnb659fds-deploy-role-{PROD_ACCOUNT}-{PROD_REGION}"
        assert deploy_role in json.dumps(action["RoleArn"])
    (bucket,) = [b for lid, b in delivery.resources("Delivery", "AWS::S3::Bucket").items() if lid.startswith("Artifacts")]
    encryption = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    support = [name for name in delivery.templates if name.startswith("cross-region-stack")]
    assert support == [f"cross-region-stack-{TOOLING_ACCOUNT}:{PROD_REGION}"]


def test_each_environment_ends_with_a_sigv4_smoke_test_of_its_own_api(delivery):
    projects = delivery.resources("Delivery", "AWS::CodeBuild::Project")
    for name, account, region in (("dev", None, "eu-west-1"), ("staging", None, "eu-west-1"),
                                  ("prod", PROD_ACCOUNT, PROD_REGION)):
        # A gated environment's evaluation gate (test_a_gated_environment_...) follows its smoke test.
        actions = sorted((a for a in delivery.stage(name)["Actions"] if a["Name"] != "EvaluationGate"),
                         key=lambda a: a["RunOrder"])
        smoke = actions[-1]
        assert smoke["Name"] == "SmokeTest" and smoke["ActionTypeId"]["Provider"] == "CodeBuild"
        project_id = smoke["Configuration"]["ProjectName"]["Ref"]
        variables = {v["Name"]: v["Value"] for v in
                     projects[project_id]["Properties"]["Environment"].get("EnvironmentVariables", [])}
        if load_app_config(cdk_context()).environment(name).api.authorization != "iam":
            # Behind a Cognito authorizer the pipeline holds no user: an unsigned call must meet the JSON 401,
            # and the step needs no execute-api permission.
            assert variables.get("SMOKE_UNAUTHENTICATED") == "1"
            statements = delivery.policy_statements_of_project(project_id)
            assert not [s for s in statements if "execute-api" in json.dumps(s)]
            continue
        assert "SMOKE_UNAUTHENTICATED" not in variables
        assert smoke["Name"] == "SmokeTest" and smoke["ActionTypeId"]["Provider"] == "CodeBuild"
        assert smoke["RunOrder"] > max(a["RunOrder"] for a in actions[:-1]), "the smoke test runs after every deploy"
        (variable,) = json.loads(smoke["Configuration"]["EnvironmentVariables"])
        api_deploy = next(a for a in actions if a["Configuration"].get("StackName") == f"genai-{name}-api"
                          and a["Name"].endswith(".Deploy"))
        assert variable == {"name": "API_URL", "type": "PLAINTEXT", "value": f"#{{{api_deploy['Namespace']}.ApiUrl}}"}

        project_id = smoke["Configuration"]["ProjectName"]["Ref"]
        build_spec = json.loads(projects[project_id]["Properties"]["Source"]["BuildSpec"])
        assert build_spec["phases"]["build"]["commands"] == ["python3 scripts/smoke_test.py"]
        statements = delivery.policy_statements_of_project(project_id)
        (statement,) = [s for s in statements if "execute-api" in json.dumps(s)]
        assert statement["Action"] == "execute-api:Invoke"
        arn = statement["Resource"]
        assert arn.startswith(f"arn:aws:execute-api:{region}:{account or TOOLING_ACCOUNT}:"), arn
        assert arn.endswith("/GET/v1/use-cases"), "one route only"


def test_pipeline_storage_is_encrypted_logged_and_retained(delivery):
    keys = delivery.resources("Delivery", "AWS::KMS::Key")
    assert keys and all(k["Properties"]["EnableKeyRotation"] for k in keys.values())
    for logical_id, bucket in delivery.resources("Delivery", "AWS::S3::Bucket").items():
        assert bucket["DeletionPolicy"] == "Retain", logical_id
        assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}, logical_id
        assert bucket["Properties"]["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    (artifacts,) = [b for lid, b in delivery.resources("Delivery", "AWS::S3::Bucket").items() if lid.startswith("Artifacts")]
    assert "LoggingConfiguration" in artifacts["Properties"]
    (log_group,) = delivery.resources("Delivery", "AWS::Logs::LogGroup").values()
    assert "KmsKeyId" in log_group["Properties"] and log_group["Properties"]["RetentionInDays"] == 365
    for logical_id, project in delivery.resources("Delivery", "AWS::CodeBuild::Project").items():
        assert "EncryptionKey" in project["Properties"], logical_id
        cloudwatch = project["Properties"]["LogsConfig"]["CloudWatchLogs"]
        assert cloudwatch["Status"] == "ENABLED" and "GroupName" in cloudwatch, logical_id
        assert project["Properties"]["Environment"].get("PrivilegedMode") is False, logical_id


def test_the_pipeline_is_self_mutating(delivery):
    (action,) = delivery.stage("UpdatePipeline")["Actions"]
    project = delivery.resources("Delivery", "AWS::CodeBuild::Project")[action["Configuration"]["ProjectName"]["Ref"]]
    commands = json.loads(project["Properties"]["Source"]["BuildSpec"])["phases"]["build"]["commands"]
    assert any(c.startswith("cdk -a . deploy Delivery") for c in commands), commands


# --------------------------------------------------------------------------- GitHub OIDC


def _deploy_roles(delivery) -> dict[str, dict[str, Any]]:
    roles = delivery.resources("GitHubOidc", "AWS::IAM::Role")
    return {lid: role for lid, role in roles.items()}


def test_the_oidc_provider_is_the_native_resource_for_github_with_the_sts_audience(delivery):
    (provider,) = delivery.resources("GitHubOidc", "AWS::IAM::OIDCProvider").values()
    assert provider["Properties"]["Url"] == f"https://{GITHUB_OIDC}"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    assert not delivery.resources("GitHubOidc", "Custom::AWSCDKOpenIdConnectProvider")


def test_each_deploy_role_trusts_only_its_environment_on_the_branch_of_the_repository(delivery):
    roles = _deploy_roles(delivery)
    assert len(roles) == 3
    subjects = set()
    for role in roles.values():
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert "Ref" in statement["Principal"]["Federated"]
        conditions = statement["Condition"]
        assert conditions["StringEquals"] == {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"}
        assert set(conditions["StringLike"]) == {f"{GITHUB_OIDC}:sub"}
        subject = conditions["StringLike"][f"{GITHUB_OIDC}:sub"]
        assert isinstance(subject, str) and "*" not in subject and "?" not in subject
        subjects.add(subject)
    assert subjects == {f"repo:{REPOSITORY}:environment:{env}:ref:refs/heads/main" for env in ("dev", "staging", "prod")}


def test_deploy_roles_may_only_assume_the_bootstrap_roles_of_their_environment(delivery):
    roles = _deploy_roles(delivery)
    policies = delivery.resources("GitHubOidc", "AWS::IAM::ManagedPolicy")
    assert not delivery.resources("GitHubOidc", "AWS::IAM::Policy"), "no inline policies"
    # dev and staging name no account: they deploy into the account of the roles (github.account).
    expected_targets = {"dev": (TOOLING_ACCOUNT, "eu-west-1"), "staging": (TOOLING_ACCOUNT, "eu-west-1"),
                        "prod": (PROD_ACCOUNT, PROD_REGION)}
    seen = set()
    for role_id, role in roles.items():
        assert "Policies" not in role["Properties"] and "ManagedPolicyArns" not in role["Properties"]
        (policy,) = [p for p in policies.values() if p["Properties"]["Roles"] == [{"Ref": role_id}]
                     and "sts:AssumeRole" in json.dumps(p)]
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
        subject = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringLike"]
        environment = next(iter(subject.values())).split(":environment:")[1].split(":")[0]
        account, region = expected_targets[environment]
        arns = {_render(arn) for arn in statement["Resource"]}
        assert arns == {f"arn:aws:iam::{account}:role/cdk-hnb659fds-{kind}-{account}-{region}"
                        for kind in ("deploy-role", "file-publishing-role", "image-publishing-role", "lookup-role")}
        seen.add(environment)
    assert seen == {"dev", "staging", "prod"}


def test_a_gated_environment_runs_the_evaluation_gate_after_its_smoke_test(delivery):
    """Issue 15: staging (evaluation.gate.in_pipeline) runs make evaluate GATE=1 after its smoke test, so a failing gate
    stops the promotion to prod; the step may call only the routes the evaluation uses; GitHub's staging deploy role
    may call the same routes (its workflow runs the same gate)."""
    projects = delivery.resources("Delivery", "AWS::CodeBuild::Project")
    for name in ("dev", "prod"):
        assert not [a for a in delivery.stage(name)["Actions"] if a["Name"] == "EvaluationGate"], name
    actions = {a["Name"]: a for a in delivery.stage("staging")["Actions"]}
    gate = actions["EvaluationGate"]
    assert gate["RunOrder"] > actions["SmokeTest"]["RunOrder"]
    project_id = gate["Configuration"]["ProjectName"]["Ref"]
    build_spec = json.loads(projects[project_id]["Properties"]["Source"]["BuildSpec"])
    assert build_spec["phases"]["build"]["commands"] == [
        'REPORT_URI="${REPORT_URI}${CODEBUILD_BUILD_NUMBER}/" scripts/evaluation_gate.sh']
    variables = json.dumps(projects[project_id]["Properties"]["Environment"]["EnvironmentVariables"])
    assert "TARGET_ENVIRONMENT" in variables and "/evaluation/staging/accepted/report.json" in variables
    (statement,) = [s for s in delivery.policy_statements_of_project(project_id) if "execute-api" in json.dumps(s)]
    assert sorted(r.split(":", 5)[5].split("/", 2)[2] for r in statement["Resource"]) == ["POST/v1/chat",
                                                                                         "POST/v1/generate"]
    invoke = [p for p in delivery.resources("GitHubOidc", "AWS::IAM::ManagedPolicy").values()
              if "execute-api:Invoke" in json.dumps(p)]
    (policy,) = invoke
    routes = [_render(r) for r in policy["Properties"]["PolicyDocument"]["Statement"][0]["Resource"]]
    assert sorted(r.split(":", 5)[5].split("/", 1)[1] for r in routes) == ["api/POST/v1/chat", "api/POST/v1/generate"]


def _render(value: Any) -> str:
    """A Fn::Join of strings and pseudo-parameter Refs, as a ${...} string."""
    if isinstance(value, str):
        return value
    delimiter, parts = value["Fn::Join"]
    return delimiter.join(p if isinstance(p, str) else "${" + p["Ref"] + "}" for p in parts)


def test_deploy_role_arns_are_stack_outputs_for_the_github_environments(delivery):
    outputs = delivery.template("GitHubOidc")["Outputs"]
    assert {key for key in outputs if key.endswith("DeployRoleArn")} == {
        "devDeployRoleArn", "stagingDeployRoleArn", "prodDeployRoleArn"}


# --------------------------------------------------------------------------- policy gates


def test_delivery_stacks_pass_cdk_nag_and_cfn_lint(delivery):
    assert delivery.app.validation_error is None, delivery.app.validation_error
    report = delivery.app.validation_report() or {}
    findings = [f"{v['ruleName']} at {c['constructPath']}" for p in report.get("pluginReports", [])
                for v in p.get("violations", []) for c in v.get("violatingConstructs", [])]
    assert not findings, findings
    templates = [str(path) for name, path in delivery.templates.items()]
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", *templates],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pipeline_acknowledgements_are_specific_findings_with_reasons(delivery):
    metadata = json.loads((delivery.app.outdir / "Delivery.metadata.json").read_text())
    acknowledged = [(path, rule.removeprefix("Annotation::"), reason) for path, entries in metadata.items()
                    for entry in entries if entry["type"] == "aws:cdk:acknowledged-rules"
                    for rule, reason in entry["data"].items()]
    assert acknowledged
    for path, rule, reason in acknowledged:
        assert len(reason) >= 30, (rule, path)
        if rule.startswith("AwsSolutions-IAM5"):
            assert rule.startswith("AwsSolutions-IAM5[") and rule.endswith("]"), (rule, path)
    smoke_findings = {rule for path, rule, _ in acknowledged if "SmokeTest" in path and "IAM5" in rule}
    assert smoke_findings and all("execute-api" in rule or "/aws/codebuild/" in rule or "report-group" in rule
                                  for rule in smoke_findings), smoke_findings


# --------------------------------------------------------------------------- the real environments


def test_real_environments_keep_the_bootstrap_version_rule_and_no_rehearsal_override(synthesized):
    from cdk.rehearsal import REHEARSAL_OVERRIDE_METADATA

    for stack in synthesized.stacks:
        template = stack.template
        assert "CheckBootstrapVersion" in template.get("Rules", {}), stack.stack_name
        assert "BootstrapVersion" in template.get("Parameters", {}), stack.stack_name
        for logical_id, resource in stack.resources.items():
            assert REHEARSAL_OVERRIDE_METADATA not in (resource.get("Metadata") or {}), (stack.stack_name, logical_id)


def test_the_committed_app_has_no_pipeline_so_a_plain_synth_builds_environments_only(synthesized):
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text())
    top_level = [a for a in manifest["artifacts"].values() if a.get("type") == "aws:cloudformation:stack"]
    assert not top_level


def test_an_account_that_already_has_the_github_provider_reuses_it():
    from aws_cdk import App, Environment, Stack

    from cdk.components.github_oidc import GitHubDeployTarget, GitHubOidcDeployRoles

    app = App()
    stack = Stack(app, "Roles", env=Environment(account=TOOLING_ACCOUNT, region="eu-west-1"))
    GitHubOidcDeployRoles(stack, "GitHub", create_provider=False, targets=[
        GitHubDeployTarget("dev", f"repo:{REPOSITORY}:environment:dev", TOOLING_ACCOUNT, "eu-west-1")])
    template = app.synth().get_stack_by_name("Roles").template
    assert not [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::OIDCProvider"]
    (role,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    principal = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Federated"]
    assert _render(principal) == f"arn:${{AWS::Partition}}:iam::{TOOLING_ACCOUNT}:oidc-provider/{GITHUB_OIDC}"
