"""Sessions in AgentCore Memory (short-term events), scoped to their owner.

The actor id is derived from the API's caller id, so a session id sent by another caller names
another actor's (empty) session: turns are never recalled across owners. Verified against botocore's
``bedrock-agentcore`` model (1.44.8): CreateEvent(memoryId, actorId, sessionId, eventTimestamp, payload
[{conversational: {content: {text}, role: USER|ASSISTANT}}]), ListEvents(memoryId, actorId, sessionId,
includePayloads, maxResults); actorId pattern ``[a-zA-Z0-9][a-zA-Z0-9-_/]*...``, sessionId
``[a-zA-Z0-9][a-zA-Z0-9-_]*`` (1..100).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

ROLES = {"USER": "user", "ASSISTANT": "assistant"}


def actor_id(owner: str) -> str:
    return "owner-" + hashlib.sha256(owner.encode("utf-8")).hexdigest()[:48]


class SessionMemory:
    def __init__(self, client: Any, memory_id: str, *, max_turns: int) -> None:
        self.client, self.memory_id, self.max_turns = client, memory_id, max_turns

    def load(self, owner: str, session_id: str) -> list[tuple[str, str]]:
        """The session's last ``max_turns`` user/assistant pairs, oldest first."""
        page = self.client.list_events(memoryId=self.memory_id, actorId=actor_id(owner), sessionId=session_id,
                                       includePayloads=True, maxResults=min(100, 2 * self.max_turns))
        turns: list[tuple[Any, int, str, str]] = []
        for event in page.get("events", []):
            for index, item in enumerate(event.get("payload") or []):
                conversational = item.get("conversational") or {}
                role = ROLES.get(conversational.get("role", ""))
                text = (conversational.get("content") or {}).get("text")
                if role and isinstance(text, str):
                    turns.append((event.get("eventTimestamp"), index, role, text))
        turns.sort(key=lambda turn: (turn[0], turn[1]))
        return [(role, text) for _, _, role, text in turns][-2 * self.max_turns:]

    def append(self, owner: str, session_id: str, user_text: str, assistant_text: str) -> None:
        self.client.create_event(
            memoryId=self.memory_id, actorId=actor_id(owner), sessionId=session_id, eventTimestamp=datetime.now(UTC),
            payload=[{"conversational": {"content": {"text": user_text}, "role": "USER"}},
                     {"conversational": {"content": {"text": assistant_text}, "role": "ASSISTANT"}}],
        )
