"""The prompt-orchestration API: REST API -> one Lambda function -> Bedrock / SageMaker, with chat
history in DynamoDB, safety filters (Comprehend, the Bedrock guardrail) and, where configured, WAF.

Timeouts: REQUEST_DEADLINE_SECONDS < API Gateway integration timeout <= Lambda timeout (cdk/config/api.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from aws_cdk import Annotations, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk.components.api_user_pool import ApiUserPool
from cdk.components.comprehend_detection import ComprehendDetectionPolicy
from cdk.components.conversation_table import ConversationTable
from cdk.components.encrypted_log_group import EncryptedLogGroup, LogsEncryptionKey, retention_days
from cdk.components.lambda_web_adapter import WebAdapterLayer
from cdk.components.orchestration_api import OrchestrationApi
from cdk.components.python_function import PythonFunction
from cdk.components.web_acl import RegionalWebAcl
from cdk.config import EnvironmentConfig
from cdk.policy import acknowledge
from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()  # lambdas/<function>/ on sys.path for the runtime contracts below

# isort: split
from orchestrator.settings import AGENT_RUNTIME_QUALIFIER, SETTINGS_PARAMETER_VARIABLE  # noqa: E402

from stacks.orchestrator_settings import SERVICE_NAME, OrchestratorInputs  # noqa: E402

FUNCTION_ASSET = "orchestrator"
FUNCTION_HANDLER = "handler.handler"
#: The streaming function's handler: the start-up script the Lambda Web Adapter runs (lambdas/orchestrator/run.sh).
STREAM_FUNCTION_HANDLER = "run.sh"
_EXECUTION_LOG_LEVELS = {
    "off": apigateway.MethodLoggingLevel.OFF,
    "error": apigateway.MethodLoggingLevel.ERROR,
    "info": apigateway.MethodLoggingLevel.INFO,
}


class ModelAccessGrants(Protocol):
    """What the Bedrock stack's ``model_access`` offers."""

    def grant_invoke(self, grantee: iam.IGrantable) -> Any: ...

    def grant_apply_guardrail(self, grantee: iam.IGrantable) -> Any: ...


class AgentRuntimeAccess(Protocol):
    """What the agents stack's ``agent`` (``AgentRuntime``) offers: the Runtime and an exact invoke grant."""

    runtime: Any  # aws_bedrockagentcore.Runtime: agent_runtime_arn

    def grant_invoke(self, grantee: iam.IGrantable, *, endpoint: str) -> Any: ...


class OrchestrationStack(Stack):
    """Exposes ``api``, ``api_stage_name``, ``function``, ``table``, ``metrics_namespace``, ``api_url_output``
    (the ``ApiUrl`` output), ``web_acl`` (None where WAF is off), ``user_pool`` (None under IAM authorization) and
    ``grant_invoke``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        model_access: ModelAccessGrants,
        inputs: OrchestratorInputs,
        agent: AgentRuntimeAccess | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        api_config = config.api
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        retention = retention_days(config.log_retention_days)
        self.metrics_namespace = api_config.metrics_namespace
        self.service_name = SERVICE_NAME
        self.api_stage_name = api_config.stage_name

        if config.safety.fail_open:
            Annotations.of(self).add_warning_v2(
                "genai:safety-fail-open",
                f"environments.{config.name}.safety.fail_open is true: requests pass unfiltered whenever Comprehend "
                "is unavailable. Ship false unless this environment is for testing only.",
            )

        # One key for the stack's log groups: the function's, the API's access logs, WAF's.
        logs_key = LogsEncryptionKey(self, "LogsKey", description=f"Encrypts the log groups of {self.stack_name}",
                                     removal_policy=removal).key

        self.history = ConversationTable(self, "ConversationHistory",
                                         point_in_time_recovery=api_config.conversation_point_in_time_recovery,
                                         removal_policy=removal)
        self.table = self.history.table

        # The functions' settings contract (lambdas/orchestrator/orchestrator/settings.py), built as for the agents
        # stack's tool function (stacks/orchestrator_settings.py) plus what only the API has: its table and, where
        # agents are on, the Runtime POST /v1/agent invokes (a reference: this stack depends on the agents stack).
        settings = inputs.settings(config, conversation_table=self.table.table_name,
                                   agent_runtime_arn=agent.runtime.agent_runtime_arn if agent is not None else None)
        self.settings = settings
        endpoint = self.endpoint = inputs.endpoint
        # What both functions (buffered and streamed routes) share: one code asset, one settings contract, whose
        # JSON settings that grow with the configuration (models, knowledge bases, safety policy) each function
        # reads from its own SSM parameter at cold start instead of its 4 KB environment (Settings.split_environment).
        environment, parameter_environment = settings.split_environment()
        shared = dict(asset=FUNCTION_ASSET, service_name=SERVICE_NAME, metrics_namespace=api_config.metrics_namespace,
                      log_level=api_config.log_level, memory_size=api_config.lambda_memory_mb, log_retention=retention,
                      removal_policy=removal, log_encryption_key=logs_key, parameter_environment=parameter_environment,
                      parameter_variable=SETTINGS_PARAMETER_VARIABLE)
        self.orchestrator = PythonFunction(
            self,
            "Orchestrator",
            handler=FUNCTION_HANDLER,
            description=f"{config.project} {config.name}: prompt orchestration API",
            timeout=Duration.seconds(api_config.function_timeout_seconds),
            reserved_concurrency=api_config.lambda_reserved_concurrency,
            environment=environment,
            snap_start=api_config.lambda_snap_start,
            **shared,
        )
        self.function = self.orchestrator.function

        # The streamed routes' function: the same code and settings contract, run as an HTTP app under the Lambda
        # Web Adapter so API Gateway's STREAM integration gets the answer as it is written (README "Streaming").
        streaming = api_config.streaming
        adapter = WebAdapterLayer(self, "WebAdapter", props=streaming.web_adapter)
        stream_seconds = streaming.settings.max_seconds
        self.stream_orchestrator = PythonFunction(
            self,
            "StreamOrchestrator",
            handler=STREAM_FUNCTION_HANDLER,
            description=f"{config.project} {config.name}: streamed routes of the prompt orchestration API",
            timeout=Duration.seconds(stream_seconds),
            reserved_concurrency=streaming.lambda_reserved_concurrency,
            environment={
                **replace(settings, request_deadline_seconds=stream_seconds).split_environment()[0],
                **streaming.settings.to_environment(),
                **adapter.environment,
            },
            **shared,
        )
        self.stream_function = self.stream_orchestrator.function
        self.stream_function.add_layers(adapter.layer)

        # Models: exactly what the Bedrock stack grants (pinned guardrail enforced), and the endpoint.
        for fn in (self.function, self.stream_function):
            model_access.grant_invoke(fn)
            model_access.grant_apply_guardrail(fn)
            if endpoint is not None:
                endpoint.grant_invoke(fn)
            if agent is not None:  # bedrock-agentcore:InvokeAgentRuntime on exactly this Runtime and its endpoint
                agent.grant_invoke(fn, endpoint=AGENT_RUNTIME_QUALIFIER)
            self.history.grant_history_access(fn)
        roles = [self.orchestrator.role, self.stream_orchestrator.role]
        self.safety_policy = ComprehendDetectionPolicy(
            self, "SafetyFiltersPolicy", roles=roles,
            description="Comprehend PII, toxicity and language detection for the orchestrator's safety filters",
        )
        self._acknowledge_function_findings(self.function)
        self._acknowledge_function_findings(self.stream_function)

        # The API.
        access_logs = EncryptedLogGroup(self, "AccessLogs", retention=retention, removal_policy=removal,
                                        encryption_key=logs_key).log_group
        user_pool: cognito.IUserPool | None = None
        if api_config.authorization == "cognito":
            self.users = ApiUserPool(self, "Users", removal_policy=removal)
            user_pool = self.users.user_pool
            CfnOutput(self, "UserPoolId", value=user_pool.user_pool_id)
            CfnOutput(self, "UserPoolClientId", value=self.users.client.user_pool_client_id)
        self.orchestration_api = OrchestrationApi(
            self,
            "Api",
            handler=self.orchestrator.invocable,  # the "live" alias under SnapStart ($LATEST never restores)
            description=f"{config.project} {config.name}: prompt orchestration API",
            stage_name=api_config.stage_name,
            integration_timeout=Duration.seconds(api_config.integration_timeout_seconds),
            throttle_rate_limit=api_config.throttle_rate_limit,
            throttle_burst_limit=api_config.throttle_burst_limit,
            access_log_group=access_logs,
            execution_log_level=_EXECUTION_LOG_LEVELS[api_config.execution_log_level],
            user_pool=user_pool,
            no_web_acl_reason=None if api_config.waf_enabled else (
                f"environments.{config.name}.api.waf_enabled is false: this environment takes IAM-signed calls only, "
                "without WAF's cost; staging and prod attach the web ACL"),
            stream_handler=self.stream_function,
            stream_timeout=Duration.seconds(stream_seconds),
        )
        self.api = self.orchestration_api.api
        self.user_pool = user_pool  # None where the API takes IAM callers
        self.api_url_output = CfnOutput(self, "ApiUrl", value=self.orchestration_api.url,
                                        description="Invoke URL of the API stage (routes start with /v1)")

        self.web_acl: RegionalWebAcl | None = None
        if api_config.waf_enabled:
            self.web_acl = RegionalWebAcl(
                self,
                "Waf",
                rules=api_config.waf,
                log_retention=retention,
                removal_policy=removal,
                log_encryption_key=logs_key,
            )
            self.web_acl.associate("ApiStageAssociation", self.orchestration_api.stage.stage_arn)
        self._acknowledge_table_findings(config)

    def grant_invoke(self, grantee: iam.IGrantable) -> None:
        """``execute-api:Invoke`` on exactly the API's routes (the playground's identity-pool role)."""
        self.orchestration_api.grant_invoke(grantee)

    def _acknowledge_function_findings(self, fn: Any) -> None:
        for rule in ("Serverless-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"):
            acknowledge(fn, rule, "API Gateway invokes the function synchronously (RequestResponse): a failure goes back "
                                  "to the caller as a JSON error; there is no asynchronous event to dead-letter")
        acknowledge(fn, "NIST.800.53.R5-LambdaInsideVPC",
                    "the function reaches only AWS service APIs (Bedrock, SageMaker runtime, Comprehend, DynamoDB, "
                    "X-Ray) over TLS with SigV4 and no resource inside a VPC; in a VPC it would need NAT or an "
                    "interface endpoint per service")

    def _acknowledge_table_findings(self, config: EnvironmentConfig) -> None:
        api_config = config.api
        if not api_config.conversation_point_in_time_recovery:
            for rule in ("AwsSolutions-DDB3", "NIST.800.53.R5-DynamoDBPITREnabled"):
                acknowledge(self.table, rule, f"environments.{config.name}.api.conversation_point_in_time_recovery is "
                                              "false: chat history here is disposable test data that expires by TTL")
        acknowledge(self.table, "NIST.800.53.R5-DynamoDBInBackupPlan",
                    "chat turns expire within conversation_ttl_seconds; point-in-time recovery (where configured) "
                    "covers restores, and AWS Backup plans are managed per organization, not per stack")

