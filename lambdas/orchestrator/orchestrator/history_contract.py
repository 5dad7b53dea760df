"""The conversation table's shape, written once: the runtime (``chat_store.py``) reads and writes it, the
construct (``cdk/components/conversation_table``) declares it. Standard library only.

One item per turn (partition ``conversation_id``, sort ``turn`` 0, 1, 2, ...) and, per conversation, one
summary item at turn ``SUMMARY_TURN`` (-1) holding what the list shows (title, model, turns, updated_at).
Only the summary item carries the owner index's keys, so the index is sparse: one entry per conversation,
never one per turn.
"""

from __future__ import annotations

PARTITION_KEY = "conversation_id"
SORT_KEY = "turn"
TTL_ATTRIBUTE = "expires_at"
OWNER_ATTRIBUTE = "owner"  # on every item: the caller who started the conversation (owner.py)

#: The summary item's sort key: below every turn, so a turn query (``turn >= 0``) never reads it.
SUMMARY_TURN = -1
#: Global secondary index: a caller's conversations, most recently updated first.
OWNER_INDEX = "ByOwner"
OWNER_INDEX_PARTITION_KEY = "listed_owner"  # S: the owner, on summary items only (sparse index)
OWNER_INDEX_SORT_KEY = "updated_at"  # N: epoch milliseconds of the latest turn
#: Projected beside the keys: what the list answers, and the expiry to leave expired entries out.
OWNER_INDEX_ATTRIBUTES = ("title", "model", "turns", TTL_ATTRIBUTE)


def create_table_request(table_name: str) -> dict[str, object]:
    """DynamoDB ``CreateTable`` arguments for this shape (on-demand), for local stand-ins of the table (moto in
    the tests and the playground's dev server); the deployed table is the construct's."""
    return {
        "TableName": table_name,
        "KeySchema": [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}, {"AttributeName": SORT_KEY, "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": SORT_KEY, "AttributeType": "N"},
            {"AttributeName": OWNER_INDEX_PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": OWNER_INDEX_SORT_KEY, "AttributeType": "N"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": OWNER_INDEX,
                "KeySchema": [
                    {"AttributeName": OWNER_INDEX_PARTITION_KEY, "KeyType": "HASH"},
                    {"AttributeName": OWNER_INDEX_SORT_KEY, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(OWNER_INDEX_ATTRIBUTES)},
            }
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
