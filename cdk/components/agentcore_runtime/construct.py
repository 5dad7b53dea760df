"""The agent on AgentCore Runtime, deployed from a code asset (aws-cdk-lib 2.275 ``aws_bedrockagentcore.Runtime``
with ``AgentRuntimeArtifact.from_code_asset``: a zip of ``.build/lambdas/agent_runtime`` (sources + the Strands
Agents SDK's closure of linux arm64 wheels, built by scripts/build_lambda_assets.py for its ``TARGET_PYTHON``),
Python 3.14, entry point ``agent_main.py``; no Docker).

IAM inbound authorization (the L2's default): only principals granted ``grant_invoke`` reach it. The settings
reach the code as one environment variable (``agent_runtime.settings_contract``). Every model call carries the
guardrail; callers grant the model access with the guardrail condition (``BedrockModelAccess.grant_invoke``).
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, Stack, Token
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_iam as iam
from aws_cdk.aws_logs import CfnDelivery
from constructs import Construct

from cdk.components.agentcore_runtime.props import AgentRuntimeProps
from cdk.components.managed_policy_role import ManagedPolicyRole, account_service_principal
from cdk.components.python_function.construct import built_asset, built_asset_hash
from cdk.components.python_function.staging import link_into_assembly
from cdk.policy import acknowledge
from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()

# isort: split
from agent_runtime import settings_contract as contract  # noqa: E402

ASSET = "agent_runtime"
ENTRYPOINT = ["agent_main.py"]
METRIC_PERIOD = Duration.minutes(5)
SERVICE = "bedrock-agentcore.amazonaws.com"


def agentcore_arn(resource: str) -> str:
    """An AgentCore ARN of this account and region (``runtime/*``, ``gateway/*``)."""
    return f"arn:{Aws.PARTITION}:bedrock-agentcore:{Aws.REGION}:{Aws.ACCOUNT_ID}:{resource}"


class AgentRuntime(Construct):
    """Exposes ``runtime``, ``grant_invoke(grantee)``, ``metric(name, statistic)`` (the agent's EMF metrics)
    and ``alarms`` (none here: the stack decides).

    Example::

        from aws_cdk import App, Stack

        from cdk.components.agentcore_runtime import AgentRuntime, AgentRuntimeProps

        app = App()
        stack = Stack(app, "Example")
        AgentRuntime(stack, "Agent", props=AgentRuntimeProps(model_id="anthropic.claude-3-haiku-20240307-v1:0",
                                                             price_in_per_1k=0.00025, price_out_per_1k=0.00125),
                     environment="dev", guardrail_arn="arn:aws:bedrock:eu-west-1:123456789012:guardrail/abc",
                     guardrail_version="1", gateway_url="https://gw.example/mcp", memory_id="mem-abcdefghij",
                     metrics_namespace="app-dev/Agents")
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: AgentRuntimeProps, environment: str,
                 guardrail_arn: str, guardrail_version: str, gateway_url: str, memory_id: str,
                 metrics_namespace: str, description: str = "Agent", idle_session_minutes: int = 15) -> None:
        super().__init__(scope, construct_id)
        self.metrics_namespace = metrics_namespace
        self.environment = environment
        settings = contract.AgentSettings(
            environment=environment, model_id=props.model_id, price_in_per_1k=props.price_in_per_1k,
            price_out_per_1k=props.price_out_per_1k, max_output_tokens=props.max_output_tokens,
            guardrail_id=guardrail_arn, guardrail_version=guardrail_version, gateway_url=gateway_url,
            memory_id=memory_id, history_turns=props.history_turns, limits=props.limits,
            tool_rules=props.tool_rules, metrics_namespace=metrics_namespace, search_tools=props.search_tools,
            recall=props.recall,
        )
        # Our own role: trust only for a runtime of this account (aws:SourceAccount, aws:SourceArn), grants in a
        # managed policy (the L2's role keeps them inline).
        self.role = ManagedPolicyRole(self, "Role", description="AgentCore Runtime execution role of the agent",
                                      assumed_by=account_service_principal(SERVICE, agentcore_arn("runtime/*")))
        link_into_assembly(self, built_asset(ASSET), built_asset_hash(ASSET))  # instead of aws-cdk-lib's copy
        self.runtime = agentcore.Runtime(
            self, "Runtime",
            execution_role=self.role,
            description=description,
            agent_runtime_artifact=agentcore.AgentRuntimeArtifact.from_code_asset(
                path=str(built_asset(ASSET)), runtime=agentcore.AgentCoreRuntime.PYTHON_3_14, entrypoint=ENTRYPOINT,
                asset_hash=built_asset_hash(ASSET)),
            environment_variables=settings.to_environment(),
            lifecycle_configuration=agentcore.LifecycleConfiguration(
                idle_runtime_session_timeout=Duration.minutes(idle_session_minutes)),
            tracing_enabled=True,
        )

        self._acknowledge_execution_role()
        self._drop_redundant_depends_on()

    def _drop_redundant_depends_on(self) -> None:
        """cfn-lint W3005: the L2 adds DependsOn entries that a GetAtt/Ref already enforces (the Runtime on its role,
        the trace delivery on its source and destination). Escape hatch: keep the Runtime's on the role's policy only
        (no reference covers it) and drop the delivery's."""
        stack = Stack.of(self)
        policy_id = stack.get_logical_id(self.role.policy.node.default_child)
        for child in self.runtime.node.find_all():
            if isinstance(child, agentcore.CfnRuntime):
                child.add_override("DependsOn", [policy_id])
            elif isinstance(child, CfnDelivery):
                child.add_deletion_override("DependsOn")

    def _acknowledge_execution_role(self) -> None:
        """The Runtime L2 (aws-cdk-lib 2.275) gives its execution role a few service-named wildcards; each is
        acknowledged with its reason, in the forms cdk-nag prints with and without a concrete region."""
        stack = Stack.of(self)
        regions = ["<AWS::Region>"] + ([] if Token.is_unresolved(stack.region) else [stack.region])
        reasons = {
            "logs:{region}:<AWS::AccountId>:log-group:/aws/bedrock-agentcore/runtimes/*":
                "AgentCore creates the runtime's log group (/aws/bedrock-agentcore/runtimes/<runtime id>-<endpoint>) "
                "itself; the id is assigned at creation, so the prefix is the narrowest known name",
            "logs:{region}:<AWS::AccountId>:log-group:/aws/bedrock-agentcore/runtimes/*:log-stream:*":
                "log streams of the runtime's service-created log groups (names assigned by AgentCore)",
            "logs:{region}:<AWS::AccountId>:log-group:*":
                "logs:DescribeLogGroups is a list call authorized on the account's log-group ARN pattern only",
            "bedrock-agentcore:{region}:<AWS::AccountId>:workload-identity-directory/default/workload-identity/*":
                "the runtime's workload identity is created by AgentCore with a generated name in the default directory",
            "s3:::cdk-hnb659fds-assets-<AWS::AccountId>-{region}/*":
                "the agent's code zip is a CDK asset: objects of the bootstrap assets bucket (asset keys are hashes)",
        }
        policy = self.role.policy
        for pattern, reason in reasons.items():
            findings = [f"Resource::arn:{partition}:{pattern.format(region=region)}"
                        for partition in ("<AWS::Partition>", "aws") for region in regions]
            acknowledge(policy, "AwsSolutions-IAM5", reason, findings=findings)
        acknowledge(policy, "AwsSolutions-IAM5", "X-Ray PutTraceSegments/PutTelemetryRecords/GetSampling* and "
                    "cloudwatch:PutMetricData (conditioned on the bedrock-agentcore namespace) take only Resource '*'",
                    findings=["Resource::*"])
        acknowledge(policy, "AwsSolutions-IAM5", "CDK's asset read grant on the bootstrap assets bucket (the agent's "
                    "code zip): its action groups", findings=["Action::s3:GetObject*", "Action::s3:GetBucket*",
                                                              "Action::s3:List*"])

    def grant_invoke(self, grantee: iam.IGrantable, *, endpoint: str = "DEFAULT") -> iam.Grant:
        """``bedrock-agentcore:InvokeAgentRuntime`` on exactly this Runtime and its ``endpoint`` (the qualifier the
        caller sends). The L2's ``grant_invoke_runtime`` grants ``<runtime ARN>/*`` (every endpoint; aws-cdk-lib
        2.275 runtime-base.js, read in the installed package). IAM checks the endpoint-qualified ARN
        ``<runtime ARN>/runtime-endpoint/<name>`` as well as the runtime's: so reported from live deployments in
        public projects (aws-samples/remote-swe-agents PR #413: "the runtime-endpoint/DEFAULT sub-resource, which is
        required for the actual invocation"); the service authorization reference's resource table could not be
        read offline (only its page header is in the search corpus), so this stays unverified against AWS.
        Not granted: ``InvokeAgentRuntimeForUser`` (only needed with the runtimeUserId header, which the API does
        not send; botocore bedrock-agentcore 2024-02-28 InvokeAgentRuntime documentation)."""
        arn = self.runtime.agent_runtime_arn
        return iam.Grant.add_to_principal(grantee=grantee, actions=["bedrock-agentcore:InvokeAgentRuntime"],
                                          resource_arns=[arn, f"{arn}/runtime-endpoint/{endpoint}"])

    def metric(self, name: str, *, statistic: str = "Sum", tool: str | None = None,
               period: Duration = METRIC_PERIOD) -> cw.Metric:
        dimensions = {"Environment": self.environment, **({contract.TOOL_DIMENSION: tool} if tool else {})}
        return cw.Metric(namespace=self.metrics_namespace, metric_name=name, dimensions_map=dimensions,
                         statistic=statistic, period=period)
