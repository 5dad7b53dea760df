"""Agents: the catalog's use cases as tools on an AgentCore Gateway, a Python agent on AgentCore Runtime with
sessions in AgentCore Memory, every model call under the environment's guardrail (config ``agents``).

- The Gateway's Lambda target is the orchestrator's code with another entry point (``tool_handler.handler``) and
  the API functions' settings, built from the same inputs (``stacks/orchestrator_settings.py``; no conversation
  table, no agent): each tool call runs the API's validation, screening, guardrail and metrics. Inbound
  authorization is IAM: only the Runtime's role may call it.
- This stack takes nothing from the API stack; the API stack takes ``agent`` (the Runtime, for POST /v1/agent) by
  reference, so it deploys after this one.
- The Runtime (code asset ``lambdas/agent_runtime``) may converse with the allowed models only with the pinned
  guardrail (``BedrockModelAccess.grant_invoke``), keep sessions in its Memory, and invoke the Gateway.
- Agent metrics (EMF), the Runtime's and Gateway's service metrics, and their alarms go to the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk.components.agentcore_gateway import LambdaToolTarget, ToolGateway, ToolPolicy
from cdk.components.agentcore_memory import AgentMemory
from cdk.components.agentcore_runtime import AgentRuntime
from cdk.components.alarm_topic import AlarmTopic
from cdk.components.comprehend_detection import ComprehendDetectionPolicy
from cdk.components.encrypted_log_group import LogsEncryptionKey, retention_days
from cdk.components.python_function import PythonFunction
from cdk.config import EnvironmentConfig
from cdk.config.agents import AgentsConfig
from cdk.policy import acknowledge
from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()

# isort: split
from agent_runtime import settings_contract as agent_contract  # noqa: E402
from orchestrator.agent_tools import (  # noqa: E402
    ENABLED_TOOLS_VARIABLE,
    search_tool_definitions,
    search_tool_name,
    tool_definitions,
)
from orchestrator.catalog import load_catalog  # noqa: E402
from orchestrator.settings import SETTINGS_PARAMETER_VARIABLE  # noqa: E402

from stacks.orchestrator_settings import OrchestratorInputs  # noqa: E402

TOOLS_TARGET = "usecases"
KNOWLEDGE_TARGET = "knowledge"
TOOLS_HANDLER = "tool_handler.handler"


class ModelAccessGrants(Protocol):
    def grant_invoke(self, grantee: iam.IGrantable) -> Any: ...

    def grant_apply_guardrail(self, grantee: iam.IGrantable) -> Any: ...


class RetrievableKnowledgeBase(Protocol):
    def grant_retrieve(self, grantee: iam.IGrantable) -> Any: ...


class KnowledgeOutputs(Protocol):
    """What the knowledge stack exposes: its knowledge bases by name (``bedrock:Retrieve`` grants)."""

    knowledge_bases: Mapping[str, RetrievableKnowledgeBase]


class AgentsStack(Stack):
    """Exposes ``gateway``, ``memory``, ``agent`` (the Runtime), ``tool_function``, ``alarms`` and
    ``dashboard_widgets()``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig,
                 model_access: ModelAccessGrants, inputs: OrchestratorInputs,
                 knowledge: KnowledgeOutputs | None = None, alarm_topic: AlarmTopic | None = None,
                 **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        agents = config.agents
        if agents.runtime is None:
            raise ValueError(f"environments.{config.name}.agents.enabled is false: no agents stack to build")
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        namespace = f"{config.project}-{config.name}/Agents"
        self.metrics_namespace = namespace

        # The tools: the orchestrator's code and settings behind another entry point.
        logs_key = LogsEncryptionKey(self, "LogsKey", description=f"Encrypts the log groups of {self.stack_name}",
                                     removal_policy=removal).key
        api_settings = inputs.settings(config)
        # As the API's functions: the JSON settings that grow with the configuration in an SSM parameter.
        environment, parameter_environment = api_settings.split_environment()
        tool = PythonFunction(
            self, "Tools",
            asset="orchestrator", handler=TOOLS_HANDLER,
            description=f"{config.project} {config.name}: the use cases and knowledge-base searches as AgentCore Gateway tools",
            service_name="agent-tools", metrics_namespace=api_settings.metrics_namespace,
            log_level=api_settings.log_level, memory_size=config.api.lambda_memory_mb,
            timeout=Duration.seconds(config.api.function_timeout_seconds),
            reserved_concurrency=config.api.lambda_reserved_concurrency,
            log_retention=retention_days(config.log_retention_days), removal_policy=removal,
            log_encryption_key=logs_key,
            environment={**environment, ENABLED_TOOLS_VARIABLE: ",".join(
                (*agents.use_cases, *(search_tool_name(name) for name in agents.knowledge_bases)))},
            parameter_environment=parameter_environment, parameter_variable=SETTINGS_PARAMETER_VARIABLE,
        )
        self.tool_function = tool.function
        model_access.grant_invoke(self.tool_function)
        model_access.grant_apply_guardrail(self.tool_function)
        if inputs.endpoint is not None:
            inputs.endpoint.grant_invoke(self.tool_function)
        if agents.knowledge_bases and knowledge is None:
            raise ValueError(f"environments.{config.name}.agents.tools.knowledge_bases needs the knowledge stack")
        for name in agents.knowledge_bases:  # Retrieve on exactly the knowledge bases offered as tools
            knowledge.knowledge_bases[name].grant_retrieve(self.tool_function)  # type: ignore[union-attr]
        ComprehendDetectionPolicy(self, "ToolsSafetyPolicy", roles=[tool.role],
                                  description="Comprehend PII, toxicity and language detection for the tools' filters")
        for rule in ("Serverless-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ"):
            acknowledge(self.tool_function, rule, "the Gateway invokes the tool function synchronously: a failure "
                                                  "returns to the agent as a failed tool call, there is no event to keep")
        acknowledge(self.tool_function, "NIST.800.53.R5-LambdaInsideVPC",
                    "the function reaches only AWS service APIs (Bedrock, SageMaker runtime, Comprehend) over TLS")

        catalog = load_catalog()
        targets = [(LambdaToolTarget(name=TOOLS_TARGET, tools=tuple(
            tool_definitions((use_case, catalog[use_case].description) for use_case in agents.use_cases))),
            self.tool_function)]
        if agents.knowledge_bases:
            descriptions = {kb.name: kb.description for kb in config.knowledge_bases}
            targets.append((LambdaToolTarget(name=KNOWLEDGE_TARGET, tools=tuple(search_tool_definitions(
                (name, descriptions[name]) for name in agents.knowledge_bases))), self.tool_function))
        self.gateway = ToolGateway(self, "Gateway", targets=targets, policy=self._tool_policy(agents, targets),
                                   openapi_targets=agents.openapi_targets,
                                   description=f"{config.project} {config.name} use cases as tools")
        self.memory = AgentMemory(self, "Memory", props=agents.memory, removal_policy=removal,
                                  description=f"{config.project} {config.name} agent sessions")
        self.agent = AgentRuntime(
            self, "Agent", props=agents.runtime, environment=config.name, guardrail_arn=inputs.guardrail_arn,
            guardrail_version=inputs.guardrail_version, gateway_url=self.gateway.url, memory_id=self.memory.memory_id,
            metrics_namespace=namespace, description=f"{config.project} {config.name} agent over the use-case tools",
        )
        runtime = self.agent.runtime
        model_access.grant_invoke(runtime)
        self.memory.grant_sessions(runtime)
        if agents.runtime.recall.summary_namespace or agents.runtime.recall.preference_namespace:
            self.memory.grant_recall(runtime)
        self.gateway.grant_invoke(runtime)

        self.alarms = self._alarms(config, alarm_topic)
        CfnOutput(self, "AgentRuntimeArn", value=runtime.agent_runtime_arn,
                  description="InvokeAgentRuntime target (IAM auth)")
        CfnOutput(self, "GatewayUrl", value=self.gateway.url, description="MCP endpoint of the tools (IAM auth)")

    @staticmethod
    def _tool_policy(agents: AgentsConfig, targets: list[tuple[LambdaToolTarget, Any]]) -> ToolPolicy | None:
        """The Gateway's Cedar ceiling: the tools some access rule names (the agent narrows them per caller)."""
        if agents.gateway_policy == "off":
            return None
        permitted = {tool for rule in agents.runtime.tool_rules for tool in rule.tools} if agents.runtime else set()
        names = [(target.name, tool["name"]) for target, _ in targets for tool in target.tools]
        names += [(api.name, operation) for api in agents.openapi_targets for operation in api.operations]
        return ToolPolicy(tools=tuple(f"{target}___{tool}" for target, tool in names if tool in permitted),
                          mode=agents.gateway_policy)

    def _alarms(self, config: EnvironmentConfig, alarm_topic: AlarmTopic | None) -> list[cw.IAlarm]:
        runtime = self.agent.runtime
        alarms = [
            cw.Alarm(self, "RuntimeErrors", metric=runtime.metric_system_errors(period=Duration.minutes(5)),
                     threshold=1, evaluation_periods=1, treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                     alarm_description=f"{config.name}: the agent runtime answered with system errors"),
            cw.Alarm(self, "ToolFailures", metric=self.agent.metric(agent_contract.METRIC_TOOL_FAILURES),
                     threshold=5, evaluation_periods=1, treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                     alarm_description=f"{config.name}: agent tool calls failed or were refused (5+ in 5 minutes)"),
            cw.Alarm(self, "LimitStops", metric=self.agent.metric(agent_contract.METRIC_LIMIT_STOPS),
                     threshold=5, evaluation_periods=1, treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                     alarm_description=f"{config.name}: agent runs stopped by a limit (5+ in 5 minutes; "
                                       f"see environments.{config.name}.agents.limits)"),
        ]
        if alarm_topic is not None:
            for alarm in alarms:
                alarm.add_alarm_action(alarm_topic.alarm_action)
        return alarms

    def dashboard_widgets(self) -> list[cw.IWidget]:
        agent = self.agent
        c = agent_contract
        return [
            cw.GraphWidget(title="Agent runs, steps and tool calls", width=8, left=[
                agent.metric(c.METRIC_RUNS), agent.metric(c.METRIC_STEPS), agent.metric(c.METRIC_TOOL_CALLS),
                agent.metric(c.METRIC_TOOL_FAILURES), agent.metric(c.METRIC_LIMIT_STOPS)]),
            cw.GraphWidget(title="Agent latency (ms) and tokens", width=8,
                           left=[agent.metric(c.METRIC_LATENCY, statistic="p90")],
                           right=[agent.metric(c.METRIC_TOKENS)]),
            cw.GraphWidget(title="Agent estimated cost (USD)", width=8, left=[agent.metric(c.METRIC_COST)]),
            cw.AlarmStatusWidget(title="Agent alarms (runtime system errors, tool failures, limit stops)", width=24,
                                 alarms=self.alarms),
        ]
