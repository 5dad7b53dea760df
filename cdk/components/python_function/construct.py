"""A Python Lambda function built the same way everywhere in this app."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path

import jsii
from aws_cdk import Annotations, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct, IValidation

from cdk.components.encrypted_log_group import EncryptedLogGroup
from cdk.components.managed_policy_role import ManagedPolicyRole
from cdk.components.python_function.environment_size import (
    LAMBDA_ENVIRONMENT_LIMIT_BYTES,
    estimate_environment_bytes,
    estimate_value_bytes,
)
from cdk.components.python_function.settings_parameter import ParameterFits, parameter_tier, parameter_value
from cdk.components.python_function.staging import link_into_assembly
from cdk.policy import acknowledge

# The newest Python runtime this aws-cdk-lib offers (cdk-nag's LambdaLatestVersion checks it), on
# Graviton. scripts/build_lambda_assets.py builds wheels for exactly this pair (TARGET_PYTHON, aarch64).
LAMBDA_RUNTIME = lambda_.Runtime.PYTHON_3_14
LAMBDA_ARCHITECTURE = lambda_.Architecture.ARM_64

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_BUILD_ROOT = REPO_ROOT / ".build" / "lambdas"
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build_lambda_assets.py"

_APPLICATION_LOG_LEVELS = {
    "DEBUG": lambda_.ApplicationLogLevel.DEBUG,
    "INFO": lambda_.ApplicationLogLevel.INFO,
    "WARNING": lambda_.ApplicationLogLevel.WARN,
    "ERROR": lambda_.ApplicationLogLevel.ERROR,
    "CRITICAL": lambda_.ApplicationLogLevel.FATAL,
}


class LambdaAssetNotBuiltError(RuntimeError):
    """The function's code asset under .build/lambdas/ is missing or older than its sources."""


class PythonFunction(Construct):
    """A Python Lambda function with the app's defaults:

    - newest Python runtime on arm64, code from ``.build/lambdas/<asset>/`` (sources plus vendored
      wheels, built by ``scripts/build_lambda_assets.py``; synth fails with the command to run when the
      asset is missing or stale);
    - its own log group, KMS-encrypted, with retention and removal policy, JSON structured logs at the
      given level;
    - X-Ray active tracing; reserved concurrency; Powertools service name, metrics namespace, log level;
    - an explicit role whose only starting permission is writing to that log group (no
      AWSLambdaBasicExecutionRole), in a customer-managed policy (:class:`ManagedPolicyRole`);
    - a synth-time check that the environment, tokens counted at their longest, fits Lambda's 4 KB; settings that
      grow with the configuration go to ``parameter_environment`` instead: one SSM String parameter (JSON object of
      variable -> value, tokens resolved at deploy; Standard tier up to 4 KB, Advanced up to 8 KB, chosen by the
      same estimate) whose name is the variable ``parameter_variable``, readable by this function only
      (``ssm:GetParameter`` on it); the code reads it once at cold start;
    - with ``snap_start=True``: Lambda SnapStart on published versions, the current version published on every
      code or configuration change and a ``live`` alias on it (``invocable``: what callers such as API Gateway
      should invoke; ``$LATEST`` never runs from a snapshot). A replaced version is deleted, so only the live
      version's snapshot is cached (and billed).

    Example::

        from aws_cdk import App, Duration, RemovalPolicy, Stack
        from aws_cdk import aws_logs as logs
        from aws_cdk import aws_ssm as ssm

        from cdk.components.python_function import PythonFunction

        app = App()
        stack = Stack(app, "Example")
        fn = PythonFunction(stack, "Orchestrator", asset="orchestrator", handler="handler.handler",
                            service_name="orchestrator", metrics_namespace="GenAiStack",
                            memory_size=1024, timeout=Duration.seconds(29), reserved_concurrency=10,
                            log_retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY,
                            parameter_environment={"MODELS": '[{"id": "m1"}]'})
        setting = ssm.StringParameter(stack, "Setting", string_value="on")
        fn.add_environment("SETTING_NAME", setting.parameter_name)
        setting.grant_read(fn.function)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        asset: str,
        handler: str,
        service_name: str,
        metrics_namespace: str,
        memory_size: int,
        timeout: Duration,
        reserved_concurrency: int | None,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        log_level: str = "INFO",
        description: str | None = None,
        environment: Mapping[str, str] | None = None,
        log_encryption_key: kms.IKey | None = None,
        tracer_capture_response: bool = False,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        build_root: Path = DEFAULT_BUILD_ROOT,
        snap_start: bool = False,
        parameter_environment: Mapping[str, str] | None = None,
        parameter_variable: str = "SETTINGS_PARAMETER",
    ) -> None:
        super().__init__(scope, construct_id)
        if log_level not in _APPLICATION_LOG_LEVELS:
            raise ValueError(f"log_level {log_level!r} is not one of {', '.join(_APPLICATION_LOG_LEVELS)}")
        code_dir = built_asset(asset, build_root)
        code_hash = built_asset_hash(asset, build_root)
        link_into_assembly(self, code_dir, code_hash)  # instead of aws-cdk-lib's copy (staging.py)

        self.log_group = EncryptedLogGroup(
            self, "Logs", retention=log_retention, removal_policy=removal_policy, encryption_key=log_encryption_key,
        ).log_group
        self.role = ManagedPolicyRole(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {self.node.path}",
        )
        # The log group exists already (above), so no logs:CreateLogGroup; streams and events only.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteOwnLogGroup",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )

        # Handed to the L2 in one piece (one jsii call instead of one per variable); add_environment adds the rest.
        self._environment: dict[str, str] = {
            "POWERTOOLS_SERVICE_NAME": service_name,
            "POWERTOOLS_METRICS_NAMESPACE": metrics_namespace,
            "LOG_LEVEL": log_level,
            # Responses are model output (user-facing text): keep them out of X-Ray metadata.
            "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "true" if tracer_capture_response else "false",
            **(environment or {}),
        }
        self.settings_parameter: ssm.StringParameter | None = None
        if parameter_environment:
            self.settings_parameter = self._settings_parameter(parameter_environment)
            self._environment[parameter_variable] = self.settings_parameter.parameter_name
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=LAMBDA_RUNTIME,
            architecture=LAMBDA_ARCHITECTURE,
            code=lambda_.Code.from_asset(str(code_dir), asset_hash=code_hash),
            handler=handler,
            environment=dict(self._environment),
            description=description,
            memory_size=memory_size,
            timeout=timeout,
            reserved_concurrent_executions=reserved_concurrency,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=_APPLICATION_LOG_LEVELS[log_level],
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=security_groups,
            # SnapStart: Python 3.12 and later (aws-cdk-lib's Runtime.PYTHON_3_14 has supportsSnapStart; CDK refuses
            # EFS and ephemeral storage over 512 MiB, which this construct never sets). Verified in the Lambda
            # developer guide (snapstart.html, "Supported features and limitations"): published versions and
            # aliases only, no provisioned concurrency.
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
            current_version_options=(
                lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY) if snap_start else None
            ),
        )
        acknowledge(
            self.role.policy, "AwsSolutions-IAM5",
            "X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) have no resource types: they take "
            "only Resource '*'",
            findings=["Resource::*"],
        )
        # The L2 makes the function depend on every resource under its role, the role included, which
        # the function's GetAtt of the role ARN already orders (cfn-lint W3005): keep only the policy.
        cfn_function = self.function.node.default_child
        cfn_function.add_override(
            "DependsOn", [Stack.of(self).get_logical_id(self.role.policy.node.default_child)]
        )
        self.node.add_validation(_EnvironmentFits(self))

        self.alias: lambda_.Alias | None = None
        if snap_start:
            Annotations.of(self.function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish",
                "the live alias below publishes the current version on every change; callers invoke the alias",
            )
            self.alias = lambda_.Alias(self, "Live", alias_name="live", version=self.function.current_version)
        self.invocable: lambda_.IFunction = self.alias or self.function

    def _settings_parameter(self, variables: Mapping[str, str]) -> ssm.StringParameter:
        """Not a SecureString: what it holds was an environment variable's value (no secret; CloudFormation cannot
        create SecureString parameters either)."""
        value = parameter_value(variables)
        size = estimate_value_bytes(self, value)
        parameter = ssm.StringParameter(self, "Settings", string_value=value, tier=parameter_tier(size),
                                        description=f"Settings of {self.node.path} (JSON: {', '.join(variables)})")
        self.node.add_validation(ParameterFits(size, self.node.path, value))
        iam.Grant.add_to_principal(grantee=self.role, actions=["ssm:GetParameter"],
                                   resource_arns=[parameter.parameter_arn])
        return parameter

    @property
    def environment(self) -> Mapping[str, str]:
        """The variables set so far (values may hold unresolved tokens)."""
        return dict(self._environment)

    def add_environment(self, key: str, value: str) -> None:
        self._environment[key] = value
        self.function.add_environment(key, value)

    def environment_size_bytes(self) -> tuple[int, dict[str, int]]:
        """(total, per-variable) upper bound of the resolved environment, in bytes."""
        return estimate_environment_bytes(self, self._environment)


@jsii.implements(IValidation)
class _EnvironmentFits:
    def __init__(self, function: PythonFunction) -> None:
        self._function = function

    def validate(self) -> list[str]:
        total, per_variable = self._function.environment_size_bytes()
        if total <= LAMBDA_ENVIRONMENT_LIMIT_BYTES:
            return []
        largest = ", ".join(f"{key} {size}" for key, size in sorted(per_variable.items(), key=lambda kv: -kv[1])[:5])
        return [
            f"the Lambda environment of {self._function.node.path} may reach {total} bytes once deployed, over "
            f"Lambda's {LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte limit (tokens counted at their longest; largest: "
            f"{largest}). Shorten the values (fewer models, shorter ids) or move the largest to SSM Parameter Store."
        ]


def built_asset(asset: str, build_root: Path = DEFAULT_BUILD_ROOT) -> Path:
    """``build_root/asset`` if it holds a current build of ``lambdas/<asset>``; else a clear error."""
    return _checked_build(asset, build_root)[0]


def built_asset_hash(asset: str, build_root: Path = DEFAULT_BUILD_ROOT) -> str | None:
    """A custom asset hash for ``built_asset(asset)``: the build's stamp, i.e. the digest of ``lambdas/<asset>``
    (requirements pins included) and of the build script, checked current above. With it CDK does not fingerprint
    the built directory (tens of MB of vendored wheels) at every synth; the hash still changes with every input of
    the build. None (CDK fingerprints the directory) for a build root the stamp does not vouch for."""
    return _checked_build(asset, build_root)[1]


@functools.cache
def _checked_build(asset: str, build_root: Path) -> tuple[Path, str | None]:
    """(directory, stamp digest or None), once per process: every function of every stage uses the same build."""
    code_dir = build_root / asset
    hint = f"build it first: `make assets` (or `python {BUILD_SCRIPT.relative_to(REPO_ROOT)}`)"
    if not code_dir.is_dir() or not any(code_dir.iterdir()):
        raise LambdaAssetNotBuiltError(f"Lambda asset {code_dir} is missing or empty; {hint}")
    builder = _build_script()
    stamp = build_root / f".{asset}.sha256"
    source = REPO_ROOT / "lambdas" / asset
    if builder is None or not source.is_dir() or build_root != DEFAULT_BUILD_ROOT:
        return code_dir, None
    digest = builder._inputs_digest(source)
    if not (stamp.is_file() and stamp.read_text() == digest):
        raise LambdaAssetNotBuiltError(f"Lambda asset {code_dir} is older than lambdas/{asset}/; {hint}")
    return code_dir, digest


def _build_script():
    """scripts/build_lambda_assets.py as a module: its digest says whether a build is current."""
    if not BUILD_SCRIPT.is_file():
        return None
    spec = importlib.util.spec_from_file_location("build_lambda_assets", BUILD_SCRIPT)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
