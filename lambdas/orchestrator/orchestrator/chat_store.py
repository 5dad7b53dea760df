"""Conversation history in DynamoDB.

Table: partition key ``conversation_id`` (S), sort key ``turn`` (N: 0, 1, 2, ... with user turns
even and assistant turns odd), TTL attribute ``expires_at`` (epoch seconds). Each item also holds
``role``, ``text`` (masked: exactly what the model saw or wrote, never unmasked PII), ``owner``
(the caller's IAM ARN: a conversation is visible to its owner only) and ``model``.

A finished exchange is written as one user/assistant pair in a transaction conditioned on the
turn numbers being free, so history always alternates and two concurrent requests cannot
interleave (the loser gets a 409).

Trimming: tokens are estimated as characters / 4 (a common rule of thumb for English text with
BPE tokenizers; it over-counts code and under-counts some languages, so the budget is a soft
limit). The newest pairs are kept while they fit ``CHAT_HISTORY_MAX_TOKENS`` minus the new
message; the oldest go first, whole pairs at a time, so the history still starts with a user turn.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, NotFound, from_aws_error

CHARS_PER_TOKEN = 4
PAGE_SIZE = 100
MAX_ITEMS_READ = 1000


@dataclass(frozen=True, slots=True)
class Turn:
    number: int
    role: str  # user | assistant
    text: str


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def trim_history(turns: Sequence[Turn], budget_tokens: int) -> list[Turn]:
    """Newest complete user/assistant pairs that fit the budget, oldest first."""
    pairs: list[tuple[Turn, Turn]] = []
    ordered = sorted(turns, key=lambda t: t.number)
    index = 0
    while index + 1 < len(ordered):
        first, second = ordered[index], ordered[index + 1]
        if first.role == "user" and second.role == "assistant" and second.number == first.number + 1:
            pairs.append((first, second))
            index += 2
        else:
            index += 1  # a broken pair (never written by this code) is skipped
    kept: list[tuple[Turn, Turn]] = []
    used = 0
    for pair in reversed(pairs):
        cost = estimate_tokens(pair[0].text) + estimate_tokens(pair[1].text)
        if used + cost > budget_tokens:
            break
        kept.append(pair)
        used += cost
    kept.reverse()
    return [turn for pair in kept for turn in pair]


class ChatStore:
    """``clients`` gives the DynamoDB client (created on the first chat request)."""

    def __init__(self, table: str, ttl_seconds: int, clients: Any) -> None:
        self.table = table
        self.ttl_seconds = ttl_seconds
        self._clients = clients

    def _client(self) -> Any:
        return self._clients.client("dynamodb")

    def load(self, conversation_id: str, owner: str, budget_chars: int, now: float | None = None) -> tuple[list[Turn], int]:
        """(live turns, newest first until ``budget_chars`` is covered, in any order; the next
        turn number). Raises NotFound for an unknown, expired or foreign conversation."""
        now = time.time() if now is None else now
        turns: list[Turn] = []
        next_turn: int | None = None
        chars = 0
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "conversation_id = :c",
            "ExpressionAttributeValues": {":c": {"S": conversation_id}},
            "ScanIndexForward": False,
            "Limit": PAGE_SIZE,
            "ConsistentRead": True,
        }
        read = 0
        while True:
            page = self._call("query", **kwargs)
            for item in page.get("Items", []):
                read += 1
                number = int(item["turn"]["N"])
                if next_turn is None:
                    if item.get("owner", {}).get("S") != owner or float(item.get("expires_at", {}).get("N", 0)) <= now:
                        raise _not_found()
                    next_turn = number + 1
                if float(item.get("expires_at", {}).get("N", 0)) <= now:
                    continue  # expired: TTL deletion is lazy
                turns.append(Turn(number=number, role=item["role"]["S"], text=item["text"]["S"]))
                chars += len(item["text"]["S"])
            last_key = page.get("LastEvaluatedKey")
            if not last_key or chars >= budget_chars or read >= MAX_ITEMS_READ:
                break
            kwargs["ExclusiveStartKey"] = last_key
        if next_turn is None:
            raise _not_found()
        return turns, next_turn

    def append_pair(
        self,
        conversation_id: str,
        owner: str,
        first_turn: int,
        user_text: str,
        assistant_text: str,
        model: str,
        now: float | None = None,
    ) -> None:
        now = time.time() if now is None else now
        expires_at = str(int(now) + self.ttl_seconds)
        items = []
        for offset, (role, text) in enumerate((("user", user_text), ("assistant", assistant_text))):
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": {
                            "conversation_id": {"S": conversation_id},
                            "turn": {"N": str(first_turn + offset)},
                            "role": {"S": role},
                            "text": {"S": text},
                            "owner": {"S": owner},
                            "model": {"S": model},
                            "expires_at": {"N": expires_at},
                        },
                        "ConditionExpression": "attribute_not_exists(conversation_id)",
                    }
                }
            )
        self._call("transact_write_items", TransactItems=items)

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        try:
            return getattr(self._client(), operation)(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons:
                    raise ApiError(
                        "the conversation was updated by another request at the same time; send the message again",
                        code="conflict",
                        status=409,
                        field="conversation_id",
                    ) from None
            raise from_aws_error(exc, dependency="the conversation store") from None
        except Exception as exc:  # noqa: BLE001 - connection errors etc. become a 503, never a trace
            raise from_aws_error(exc, dependency="the conversation store") from None


def _not_found() -> NotFound:
    return NotFound(
        "conversation not found (unknown, expired or started by another caller); omit conversation_id to start a new one",
        code="conversation_not_found",
        field="conversation_id",
    )
