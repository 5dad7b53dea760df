"""AgentCore Memory for agent sessions: short-term events with a retention, and long-term records extracted by
the summary and user-preference strategies (aws-cdk-lib 2.275 ``aws_bedrockagentcore.Memory`` L2,
``MemoryStrategy.using_summarization`` / ``using_user_preference`` with our namespaces: the built-in variants put
records under ``/strategies/{memoryStrategyId}/...``, an id the service assigns at deploy time, which the agent
could not name when it recalls)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_bedrockagentcore as agentcore
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk.components.agentcore_memory.props import AgentMemoryProps

#: What an agent needs to keep a session (botocore bedrock-agentcore: CreateEvent, ListEvents).
SESSION_ACTIONS = ("bedrock-agentcore:CreateEvent", "bedrock-agentcore:ListEvents")
#: What an agent needs to recall long-term records (RetrieveMemoryRecords' documented permission).
RECALL_ACTIONS = ("bedrock-agentcore:RetrieveMemoryRecords",)


class AgentMemory(Construct):
    """One memory resource. Exposes ``memory``, ``memory_id`` and ``grant_sessions(grantee)`` and ``grant_recall(grantee)``.

    Example::

        from aws_cdk import App, RemovalPolicy, Stack

        from cdk.components.agentcore_memory import AgentMemory, AgentMemoryProps

        app = App()
        stack = Stack(app, "Example")
        AgentMemory(stack, "Memory", props=AgentMemoryProps(event_retention_days=30), removal_policy=RemovalPolicy.DESTROY)
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: AgentMemoryProps,
                 removal_policy: RemovalPolicy, description: str = "Agent sessions") -> None:
        super().__init__(scope, construct_id)
        strategies = []
        if props.summaries:
            strategies.append(agentcore.MemoryStrategy.using_summarization(
                strategy_name="summaries", namespaces=[props.summary_namespace],
                description="Summaries of each session of an owner"))
        if props.user_preferences:
            strategies.append(agentcore.MemoryStrategy.using_user_preference(
                strategy_name="preferences", namespaces=[props.preference_namespace],
                description="Preferences of an owner across sessions"))
        self.memory = agentcore.Memory(
            self, "Memory",
            description=description,
            expiration_duration=Duration.days(props.event_retention_days),
            memory_strategies=strategies or None,
        )
        # The L2 keeps its CfnMemory as a child that is not its default child: retain/destroy on the L1.
        for child in self.memory.node.find_all():
            if isinstance(child, agentcore.CfnMemory):
                child.apply_removal_policy(removal_policy)
        self.memory_id = self.memory.memory_id

    def grant_sessions(self, grantee: iam.IGrantable) -> iam.Grant:
        """Write and read the short-term events of sessions (no delete, no long-term record access)."""
        return iam.Grant.add_to_principal(grantee=grantee, actions=list(SESSION_ACTIONS),
                                          resource_arns=[self.memory.memory_arn])

    def grant_recall(self, grantee: iam.IGrantable) -> iam.Grant:
        """Search the long-term records (no write, no delete)."""
        return iam.Grant.add_to_principal(grantee=grantee, actions=list(RECALL_ACTIONS),
                                          resource_arns=[self.memory.memory_arn])
