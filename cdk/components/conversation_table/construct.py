"""The chat-history table: one item per conversation turn, expiring on its own."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

import cdk.runtime_contracts  # noqa: F401 - puts lambdas/<function>/ on sys.path
from cdk.components.customer_key import customer_managed_key

# isort: split
from orchestrator.history_contract import (
    OWNER_INDEX,
    OWNER_INDEX_ATTRIBUTES,
    OWNER_INDEX_PARTITION_KEY,
    OWNER_INDEX_SORT_KEY,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
)

# What the orchestrator does with the table (lambdas/orchestrator/orchestrator/chat_store.py): a
# consistent Query of one conversation's items; TransactWriteItems of two conditional Puts and the summary
# item's Update per exchange, and of conditional Deletes to delete a conversation. Each action in a
# TransactWriteItems is authorized as its own operation (PutItem, UpdateItem, DeleteItem; DynamoDB developer
# guide, "Using IAM with DynamoDB transactions"). No Scan, no BatchWriteItem, no table management.
HISTORY_ACTIONS = ("dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# Listing a caller's conversations: Query on the owner index, nothing else.
OWNER_INDEX_ACTIONS = ("dynamodb:Query",)
# DynamoDB uses the table's key on the caller's behalf (kms:ViaService), for reads and writes.
KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")


class ConversationTable(Construct):
    """DynamoDB table of chat turns: partition key ``conversation_id`` (S), sort key ``turn`` (N), TTL
    attribute ``expires_at``; on-demand billing, encrypted with its own rotating KMS key,
    point-in-time recovery when asked for, deletion protection when retained. A sparse global secondary
    index ``ByOwner`` (partition ``listed_owner``, sort ``updated_at``; only each conversation's summary
    item has them) lists a caller's conversations newest first, projecting only what the list shows.

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
        # Adding one GSI to an existing table is an in-place update ("You can delete or add one global secondary
        # index without interruption": CloudFormation AWS::DynamoDB::Table GlobalSecondaryIndexes); the table's
        # logical ID is unchanged. CloudFormation does not wait for the backfill; new summary items are indexed as
        # they are written. Unverified here (no AWS account): the deployed update itself.
        self.table.add_global_secondary_index(
            index_name=OWNER_INDEX,
            partition_key=dynamodb.Attribute(name=OWNER_INDEX_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=OWNER_INDEX_SORT_KEY, type=dynamodb.AttributeType.NUMBER),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=list(OWNER_INDEX_ATTRIBUTES),
        )

    def grant_history_access(self, grantee: iam.IGrantable) -> None:
        """Exactly what chat history and the conversation routes take: reading, appending and deleting a
        conversation's items, and querying the owner index. No Scan, no table management."""
        stack = Stack.of(self)
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(sid="ChatHistoryReadWrite", actions=list(HISTORY_ACTIONS),
                                resources=[self.table.table_arn])
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(sid="ChatHistoryListByOwner", actions=list(OWNER_INDEX_ACTIONS),
                                resources=[f"{self.table.table_arn}/index/{OWNER_INDEX}"])
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ChatHistoryKeyThroughDynamoDB",
                actions=list(KEY_ACTIONS),
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{stack.region}.{stack.url_suffix}"}},
            )
        )
