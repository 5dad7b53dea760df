"""The chat-history table: one item per conversation turn, expiring on its own."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk.components.customer_key import customer_managed_key

PARTITION_KEY = "conversation_id"
SORT_KEY = "turn"
TTL_ATTRIBUTE = "expires_at"

# What the orchestrator does with the table (lambdas/orchestrator/orchestrator/chat_store.py): a
# consistent Query of one conversation's turns, and a TransactWriteItems of two conditional Puts.
HISTORY_ACTIONS = ("dynamodb:Query", "dynamodb:PutItem")
# DynamoDB uses the table's key on the caller's behalf (kms:ViaService), for reads and writes.
KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")


class ConversationTable(Construct):
    """DynamoDB table of chat turns: partition key ``conversation_id`` (S), sort key ``turn`` (N), TTL
    attribute ``expires_at``; on-demand billing, encrypted with its own rotating KMS key,
    point-in-time recovery when asked for, deletion protection when retained.

    Example::

        from aws_cdk import App, RemovalPolicy, Stack
        from aws_cdk import aws_iam as iam

        from cdk.components.conversation_table import ConversationTable

        app = App()
        stack = Stack(app, "Example")
        history = ConversationTable(stack, "History", point_in_time_recovery=True, removal_policy=RemovalPolicy.RETAIN)
        role = iam.Role(stack, "FunctionRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        history.grant_history_access(role)
    """

    def __init__(self, scope: Construct, construct_id: str, *, point_in_time_recovery: bool,
                 removal_policy: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self.key = customer_managed_key(self, "Key", description="Encrypts the chat-history table",
                                        removal_policy=removal_policy)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.NUMBER),
            time_to_live_attribute=TTL_ATTRIBUTE,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=point_in_time_recovery
            ),
            deletion_protection=removal_policy == RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
        )

    def grant_history_access(self, grantee: iam.IGrantable) -> None:
        """Exactly what reading and appending turns takes: no Scan, no deletes, no table management."""
        stack = Stack.of(self)
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(sid="ChatHistoryReadWrite", actions=list(HISTORY_ACTIONS),
                                resources=[self.table.table_arn])
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ChatHistoryKeyThroughDynamoDB",
                actions=list(KEY_ACTIONS),
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{stack.region}.{stack.url_suffix}"}},
            )
        )
