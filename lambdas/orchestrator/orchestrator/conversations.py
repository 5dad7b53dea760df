"""``GET /v1/conversations``, ``GET`` and ``DELETE /v1/conversations/{conversation_id}``: the caller's own
conversations (``chat_store.py`` keeps them; the owner is ``owner.py``'s, as for chat).

Another caller's conversation answers exactly as a missing one (404 ``conversation_not_found``), for
reading and deleting alike, so its existence is never revealed. Text is returned as stored: masked
(placeholders such as ``[EMAIL_1]``, never the caller's PII).

The list's ``next_token`` is the last entry's position (its update time and conversation id), base64url
JSON. It carries no owner: the owner of the next page's start key is always the caller, so a crafted token
can only start inside the caller's own list (and reveals nothing the list did not show). A token that does
not decode to exactly that shape is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from . import api_schema
from .chat_store import ChatStore
from .errors import ValidationError

#: The schema's pattern, matched whole (``fullmatch``): its ``$`` is ECMA-262's, the end of the text; Python's ``$``
#: alone would let a trailing newline through (a 404 for what is a 400, unlike the generated body validator).
CONVERSATION_ID = re.compile(api_schema.conversation_id_pattern())
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
#: At most this many characters of turns in one GET answer (<= 4 MB of UTF-8 JSON, under Lambda's 6 MB
#: response limit); the newest turns are kept.
MAX_ANSWER_CHARS = 1_000_000
_MAX_TOKEN_CHARS = 200


def conversation_id_of(value: Any) -> str:
    if not isinstance(value, str) or not CONVERSATION_ID.fullmatch(value):
        raise ValidationError("conversation_id must be a conversation id returned by POST /v1/chat (a UUID)",
                              field="conversation_id")
    return value


def page_size_of(query: Mapping[str, Any]) -> int:
    raw = query.get("limit")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not (isinstance(raw, str) and raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE_SIZE):
        raise ValidationError(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}", field="limit")
    return int(raw)


def encode_token(position: tuple[int, str]) -> str:
    updated_at, conversation_id = position
    raw = json.dumps({"u": updated_at, "c": conversation_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: Any) -> tuple[int, str]:
    invalid = ValidationError("next_token is not one this API returned; omit it to start from the newest", field="next_token")
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN_CHARS:
        raise invalid
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8"))
    except (binascii.Error, ValueError):
        raise invalid from None
    if not (isinstance(data, dict) and set(data) == {"u", "c"}):
        raise invalid
    updated_at, conversation_id = data["u"], data["c"]
    if type(updated_at) is not int or updated_at < 0 or not isinstance(conversation_id, str):
        raise invalid
    if not CONVERSATION_ID.fullmatch(conversation_id):
        raise invalid
    return updated_at, conversation_id


def iso_time(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Conversations:
    """The three routes over the chat store (built per request from the service's store: it holds nothing)."""

    def __init__(self, store: ChatStore) -> None:
        self.store = store

    def list(self, owner: str, query: Mapping[str, Any]) -> dict[str, Any]:
        limit = page_size_of(query)
        after = decode_token(query["next_token"]) if query.get("next_token") is not None else None
        summaries, last = self.store.list_conversations(owner, limit=limit, after=after)
        body: dict[str, Any] = {
            "conversations": [
                {
                    "conversation_id": s.conversation_id,
                    "title": s.title,
                    "model": s.model,
                    "turns": s.turns,
                    "updated_at": iso_time(s.updated_at_ms),
                }
                for s in summaries
            ]
        }
        if last is not None:
            body["next_token"] = encode_token(last)
        return body

    def get(self, owner: str, conversation_id: Any) -> dict[str, Any]:
        conversation_id = conversation_id_of(conversation_id)
        turns, _ = self.store.load(conversation_id, owner, budget_chars=MAX_ANSWER_CHARS)
        turns = sorted(turns, key=lambda turn: turn.number)
        # load stops once the budget is covered: the oldest turns it read may push past it. Drop them, oldest
        # first, keeping at least the newest; one running total, so each turn is measured at most twice.
        chars, first = sum(len(turn.text) for turn in turns), 0
        while first < len(turns) - 1 and chars > MAX_ANSWER_CHARS:
            chars -= len(turns[first].text)
            first += 1
        turns = turns[first:]
        return {
            "conversation_id": conversation_id,
            "model": turns[-1].model,
            "turns": [{"role": turn.role, "text": turn.text} for turn in turns],
            "truncated": turns[0].number > 0,
        }

    def delete(self, owner: str, conversation_id: Any) -> None:
        self.store.delete_conversation(conversation_id_of(conversation_id), owner)
