"""Conversation history in DynamoDB.

Table: partition key ``conversation_id`` (S), sort key ``turn`` (N: 0, 1, 2, ... with user turns
even and assistant turns odd), TTL attribute ``expires_at`` (epoch seconds). Each item also holds
``role``, ``text`` (masked: exactly what the model saw or wrote, never unmasked PII), ``owner``
(the caller's IAM ARN: a conversation is visible to its owner only) and ``model``. The shape is
``history_contract.py``'s, shared with the table's construct.

Each conversation also has one summary item (turn -1: title, model, turns, updated_at, expiry), written
in the same transaction as every pair; it alone carries the keys of the owner index, which lists a
caller's conversations newest first. Conversations written before the summary existed get one with
their next exchange.

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
from .history_contract import (
    OWNER_ATTRIBUTE,
    OWNER_INDEX,
    OWNER_INDEX_PARTITION_KEY,
    OWNER_INDEX_SORT_KEY,
    PARTITION_KEY,
    SORT_KEY,
    SUMMARY_TURN,
    TTL_ATTRIBUTE,
)

CHARS_PER_TOKEN = 4
PAGE_SIZE = 100
MAX_ITEMS_READ = 1000
TITLE_CHARS = 80
#: TransactWriteItems takes at most 100 actions (DynamoDB API reference, TransactWriteItems).
MAX_TRANSACTION_ITEMS = 100
#: Attribute names go through placeholders: OWNER (among others) is a DynamoDB reserved word.
_NAMES = {"#c": PARTITION_KEY, "#t": SORT_KEY, "#o": OWNER_ATTRIBUTE}


@dataclass(frozen=True, slots=True)
class Turn:
    number: int
    role: str  # user | assistant
    text: str
    model: str = ""


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    conversation_id: str
    title: str
    model: str
    turns: int
    updated_at_ms: int


def title_of(message: str) -> str:
    """The list's title: the first message as stored (masked), whitespace collapsed, at most 80 characters."""
    title = " ".join(message.split())
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "\u2026"


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
            "KeyConditionExpression": "#c = :c AND #t >= :first",  # the turns, not the summary item
            "ExpressionAttributeNames": {"#c": PARTITION_KEY, "#t": SORT_KEY},
            "ExpressionAttributeValues": {":c": {"S": conversation_id}, ":first": {"N": "0"}},
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
                model = item.get("model", {}).get("S", "")
                turns.append(Turn(number=number, role=item["role"]["S"], text=item["text"]["S"], model=model))
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
        items.append({"Update": self._summary_update(conversation_id, owner, first_turn + 2, user_text, model, now)})
        self._call("transact_write_items", TransactItems=items)

    def _summary_update(
        self, conversation_id: str, owner: str, turns: int, user_text: str, model: str, now: float
    ) -> dict[str, Any]:
        """The summary item's update in a pair's transaction: the title is set once (the first message)."""
        return {
            "TableName": self.table,
            "Key": {PARTITION_KEY: {"S": conversation_id}, SORT_KEY: {"N": str(SUMMARY_TURN)}},
            "UpdateExpression": (
                "SET #o = :o, #lo = :o, #u = :u, #m = :m, #n = :n, #e = :e, #title = if_not_exists(#title, :title)"
            ),
            "ConditionExpression": "attribute_not_exists(#o) OR #o = :o",
            "ExpressionAttributeNames": {
                "#o": OWNER_ATTRIBUTE, "#lo": OWNER_INDEX_PARTITION_KEY, "#u": OWNER_INDEX_SORT_KEY, "#m": "model",
                "#n": "turns", "#e": TTL_ATTRIBUTE, "#title": "title",
            },
            "ExpressionAttributeValues": {
                ":o": {"S": owner},
                ":u": {"N": str(int(now * 1000))},
                ":m": {"S": model},
                ":n": {"N": str(turns)},
                ":e": {"N": str(int(now) + self.ttl_seconds)},
                ":title": {"S": title_of(user_text)},
            },
        }

    # ------------------------------------------------------------------ the caller's conversations
    def list_conversations(
        self, owner: str, *, limit: int, after: tuple[int, str] | None = None, now: float | None = None
    ) -> tuple[list[ConversationSummary], tuple[int, str] | None]:
        """One page of the owner's live conversations, most recently updated first, and the position
        (updated_at, conversation_id) to continue after, or None at the end. ``after`` is such a position:
        the start key is rebuilt with the caller as owner, so no page can start in someone else's list."""
        now = time.time() if now is None else now
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": OWNER_INDEX,
            "KeyConditionExpression": "#lo = :o",
            "ExpressionAttributeNames": {"#lo": OWNER_INDEX_PARTITION_KEY},
            "ExpressionAttributeValues": {":o": {"S": owner}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after is not None:
            kwargs["ExclusiveStartKey"] = {
                OWNER_INDEX_PARTITION_KEY: {"S": owner},
                OWNER_INDEX_SORT_KEY: {"N": str(after[0])},
                PARTITION_KEY: {"S": after[1]},
                SORT_KEY: {"N": str(SUMMARY_TURN)},
            }
        page = self._call("query", **kwargs)
        summaries = [
            ConversationSummary(
                conversation_id=item[PARTITION_KEY]["S"],
                title=item.get("title", {}).get("S", ""),
                model=item.get("model", {}).get("S", ""),
                turns=int(item.get("turns", {}).get("N", "0")),
                updated_at_ms=int(item[OWNER_INDEX_SORT_KEY]["N"]),
            )
            for item in page.get("Items", [])
            if float(item.get(TTL_ATTRIBUTE, {}).get("N", 0)) > now  # expired: TTL deletion is lazy
        ]
        last = page.get("LastEvaluatedKey")
        position = (int(last[OWNER_INDEX_SORT_KEY]["N"]), last[PARTITION_KEY]["S"]) if last else None
        return summaries, position

    def delete_conversation(self, conversation_id: str, owner: str) -> None:
        """Delete every item of the owner's conversation (turns and summary; expired ones too). Raises
        NotFound, and deletes nothing, when it has no item or any item belongs to someone else."""
        keys: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#c = :c",
            "ProjectionExpression": "#c, #t, #o",
            "ExpressionAttributeNames": _NAMES,
            "ExpressionAttributeValues": {":c": {"S": conversation_id}},
            "ConsistentRead": True,
        }
        while True:
            page = self._call("query", **kwargs)
            for item in page.get("Items", []):
                if item.get(OWNER_ATTRIBUTE, {}).get("S") != owner:
                    raise _not_found()
                keys.append({PARTITION_KEY: item[PARTITION_KEY], SORT_KEY: item[SORT_KEY]})
            if not page.get("LastEvaluatedKey"):
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        if not keys:
            raise _not_found()
        # Newest first, the summary (turn -1) last: an interrupted delete leaves a shorter conversation
        # that is still listed and can be deleted again, never turns without a summary.
        keys.sort(key=lambda key: -int(key[SORT_KEY]["N"]))
        for start in range(0, len(keys), MAX_TRANSACTION_ITEMS):
            chunk = keys[start : start + MAX_TRANSACTION_ITEMS]
            deletes = [
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": key,
                        "ConditionExpression": "#o = :o",
                        "ExpressionAttributeNames": {"#o": OWNER_ATTRIBUTE},
                        "ExpressionAttributeValues": {":o": {"S": owner}},
                    }
                }
                for key in chunk
            ]
            self._call("transact_write_items", TransactItems=deletes)

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
