"""GET /v1/conversations, GET and DELETE /v1/conversations/{conversation_id}: the caller's own conversations
(moto's DynamoDB with the owner index), newest first and paginated; another caller's are never shown,
read or deleted, and answer exactly as missing ones."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import pytest
from orchestrator import conversations
from orchestrator.chat_store import ChatStore, Turn

from localaws import fakes

from .test_api_schema import validator
from .test_orchestrator_chat import TABLE, items, table  # noqa: F401 - the moto conversation table fixture

BOB = "arn:aws:iam::123456789012:user/bob"


@pytest.fixture
def chat(call, aws, table):  # noqa: F811 - fixture
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("Noted."))

    def send(message: str, conversation_id: str | None = None, **kwargs: Any) -> str:
        body = {"message": message, **({"conversation_id": conversation_id} if conversation_id else {})}
        status, answer, _ = call("POST", "/v1/chat", body, **kwargs)
        assert status == 200, answer
        return answer["conversation_id"]

    return send


def listed(call, **kwargs: Any) -> dict[str, Any]:
    status, body, _ = call("GET", "/v1/conversations", **kwargs)
    assert status == 200, body
    validator("ConversationsResponse").validate(body)
    return body


def test_the_list_is_the_callers_conversations_newest_first_with_masked_titles(call, chat) -> None:
    first = chat("Please e-mail carol@example.com about the   launch")
    second = chat("What is the capital of France?")
    chat("And of Spain?", second)
    body = listed(call)
    assert [c["conversation_id"] for c in body["conversations"]] == [second, first]
    newest, oldest = body["conversations"]
    assert newest["title"] == "What is the capital of France?" and newest["turns"] == 4
    assert oldest["title"] == "Please e-mail [EMAIL_1] about the launch" and oldest["turns"] == 2
    assert "carol@example.com" not in json.dumps(body)
    assert newest["model"] == fakes.HAIKU and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", newest["updated_at"])
    assert "next_token" not in body


def test_a_long_first_message_is_cut_to_80_characters(call, chat) -> None:
    chat("word " * 40)
    (entry,) = listed(call)["conversations"]
    assert len(entry["title"]) == 80 and entry["title"].endswith("\u2026")


def test_get_returns_the_turns_oldest_first_masked_as_stored(call, chat) -> None:
    conversation_id = chat("Write to dave@example.com")
    chat("Thanks", conversation_id)
    status, body, _ = call("GET", f"/v1/conversations/{conversation_id}")
    assert status == 200, body
    validator("ConversationResponse").validate(body)
    assert body["turns"] == [
        {"role": "user", "text": "Write to [EMAIL_1]"},
        {"role": "assistant", "text": "Noted."},
        {"role": "user", "text": "Thanks"},
        {"role": "assistant", "text": "Noted."},
    ]
    assert body["model"] == fakes.HAIKU and body["truncated"] is False and body["conversation_id"] == conversation_id


def test_delete_removes_every_item_and_the_list_entry(call, chat, table) -> None:  # noqa: F811 - fixture
    conversation_id = chat("Hello")
    chat("Again", conversation_id)
    keep = chat("Another one")
    status, body, _ = call("DELETE", f"/v1/conversations/{conversation_id}")
    assert status == 204 and body is None, body
    assert items(table, conversation_id, summary=True) == []
    assert [c["conversation_id"] for c in listed(call)["conversations"]] == [keep]
    assert call("GET", f"/v1/conversations/{conversation_id}")[0] == 404
    assert call("DELETE", f"/v1/conversations/{conversation_id}")[0] == 404


def test_another_callers_conversation_is_never_listed_read_or_deleted(call, chat, table) -> None:  # noqa: F811
    conversation_id = chat("Alice's secret plan")
    missing = str(uuid.uuid4())
    assert listed(call, caller=BOB)["conversations"] == []
    for method in ("GET", "DELETE"):
        theirs = call(method, f"/v1/conversations/{conversation_id}", caller=BOB)
        unknown = call(method, f"/v1/conversations/{missing}", caller=BOB)
        assert theirs[0] == unknown[0] == 404
        assert theirs[1]["error"] == unknown[1]["error"]  # existence is never revealed
        assert theirs[1]["error"]["code"] == "conversation_not_found"
    assert len(items(table, conversation_id, summary=True)) == 3  # nothing deleted
    # Bob's chat turn cannot continue Alice's conversation either.
    status, _, _ = call("POST", "/v1/chat", {"message": "hi", "conversation_id": conversation_id}, caller=BOB)
    assert status == 404


def test_pages_follow_next_token_without_gaps_or_repeats(call, chat) -> None:
    started = [chat(f"Conversation {n}") for n in range(5)]
    seen: list[str] = []
    pages = []
    query: dict[str, str] = {"limit": "2"}
    while True:
        body = listed(call, query=query)
        pages.append(len(body["conversations"]))
        seen += [c["conversation_id"] for c in body["conversations"]]
        if "next_token" not in body:
            break
        query = {"limit": "2", "next_token": body["next_token"]}
    assert pages == [2, 2, 1] and seen == started[::-1]


def test_a_token_never_opens_another_callers_list(call, chat) -> None:
    chat("one")
    chat("two")
    token = listed(call, query={"limit": "1"})["next_token"]
    assert "owner" not in base64.urlsafe_b64decode(token + "==").decode() and fakes.CALLER not in token
    assert listed(call, caller=BOB, query={"next_token": token})["conversations"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"next_token": "not-a-token"}, "next_token"),
        ({"next_token": base64.urlsafe_b64encode(b'{"u":1,"c":"x"}').decode()}, "next_token"),
        ({"next_token": base64.urlsafe_b64encode(b'{"u":1,"c":"0b7e4b7c-8f3a-4c1d-9e2f-1a2b3c4d5e6f","o":"x"}').decode()},
         "next_token"),
        ({"limit": "0"}, "limit"),
        ({"limit": "51"}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_bad_query_parameters_are_a_400_naming_them(call, table, query: dict, field: str) -> None:  # noqa: F811
    status, body, _ = call("GET", "/v1/conversations", query=query)
    assert status == 400 and body["error"]["code"] == "validation_error" and body["error"]["field"] == field


def test_a_malformed_conversation_id_is_a_400_and_other_methods_a_405(call, table) -> None:  # noqa: F811
    status, body, _ = call("GET", "/v1/conversations/not-a-uuid")
    assert status == 400 and body["error"]["field"] == "conversation_id"
    status, body, headers = call("POST", f"/v1/conversations/{uuid.uuid4()}", {})
    assert status == 405 and headers["Allow"] == "GET, DELETE"


def test_a_long_conversation_is_deleted_in_transactions_of_100(table) -> None:  # noqa: F811 - fixture
    store = ChatStore(TABLE, 3600, clients=None)
    conversation_id = str(uuid.uuid4())
    for pair in range(60):
        store.append_pair(conversation_id, fakes.CALLER, pair * 2, f"question {pair}", "answer", fakes.HAIKU)
    assert len(items(table, conversation_id, summary=True)) == 121
    store.delete_conversation(conversation_id, fakes.CALLER)
    assert items(table, conversation_id, summary=True) == []


def test_expired_conversations_are_left_out_of_the_list(table) -> None:  # noqa: F811 - fixture
    store = ChatStore(TABLE, 3600, clients=None)
    store.append_pair(str(uuid.uuid4()), fakes.CALLER, 0, "old", "answer", fakes.HAIKU, now=1_000_000.0)
    live = str(uuid.uuid4())
    store.append_pair(live, fakes.CALLER, 0, "new", "answer", fakes.HAIKU)
    summaries, _ = store.list_conversations(fakes.CALLER, limit=10)
    assert [s.conversation_id for s in summaries] == [live]


def test_a_conversation_written_before_the_summary_is_listed_after_its_next_exchange(call, chat, table) -> None:  # noqa: F811
    conversation_id = str(uuid.uuid4())
    for number, (role, text) in enumerate((("user", "Old question"), ("assistant", "Old answer"))):
        table.put_item(TableName=TABLE, Item={
            "conversation_id": {"S": conversation_id}, "turn": {"N": str(number)}, "role": {"S": role},
            "text": {"S": text}, "owner": {"S": fakes.CALLER}, "model": {"S": fakes.HAIKU},
            "expires_at": {"N": str(2_000_000_000)},
        })
    assert listed(call)["conversations"] == []  # no summary item yet
    assert call("GET", f"/v1/conversations/{conversation_id}")[0] == 200
    chat("New question", conversation_id)
    (entry,) = listed(call)["conversations"]
    assert entry["conversation_id"] == conversation_id and entry["turns"] == 4 and entry["title"] == "New question"


_MARK = 0x4E00


class _LoadedTurns:
    """A store whose ``load`` answers as ChatStore's does: newest first, possibly past the budget (it stops
    only once the budget is covered, after a whole page). Turn n's text is ``size`` times the character
    _MARK + n, so an answer's turns tell their numbers."""

    def __init__(self, sizes: list[int], first_number: int = 0, text: type[str] = str) -> None:
        numbers = range(first_number, first_number + len(sizes))
        self.turns = [Turn(number=number, role=("user", "assistant")[number % 2], text=text(chr(_MARK + number) * size),
                           model=fakes.HAIKU) for number, size in zip(numbers, sizes, strict=True)]

    def load(self, conversation_id: str, owner: str, budget_chars: int) -> tuple[list[Turn], int]:
        return self.turns[::-1], self.turns[-1].number + 1


@pytest.mark.parametrize(
    ("sizes", "first_number", "kept", "truncated"),
    [
        ([3, 3, 3], 0, [0, 1, 2], False),  # within the budget
        ([6, 4], 0, [0, 1], False),  # exactly the budget
        ([5, 4, 4], 0, [1, 2], True),  # the oldest turn read pushes past it
        ([9, 9, 2, 3, 4], 0, [2, 3, 4], True),  # several dropped: the newest that fit
        ([4, 4, 11], 0, [2], True),  # the newest alone exceeds it: still answered, alone
        ([2, 2], 3, [3, 4], True),  # older turns were not loaded (expired or past the store's budget)
    ],
)
def test_get_keeps_the_newest_turns_within_the_answer_budget(monkeypatch: pytest.MonkeyPatch, sizes: list[int],
                                                            first_number: int, kept: list[int], truncated: bool) -> None:
    monkeypatch.setattr(conversations, "MAX_ANSWER_CHARS", 10)
    store = _LoadedTurns(sizes, first_number)
    body = conversations.Conversations(store).get(fakes.CALLER, str(uuid.uuid4()))  # type: ignore[arg-type]
    assert [ord(turn["text"][0]) - _MARK for turn in body["turns"]] == kept
    assert body["truncated"] is truncated and body["model"] == fakes.HAIKU


def test_get_measures_each_turn_at_most_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Linear in the turns loaded, shown by counting instead of timing: every turn's length is read once for
    the total and at most once more when it is dropped (summing again per dropped turn read it n²/2 times)."""
    measured: list[int] = []

    class CountedText(str):
        __slots__ = ()

        def __len__(self) -> int:
            measured.append(1)
            return super().__len__()

    monkeypatch.setattr(conversations, "MAX_ANSWER_CHARS", 10)
    store = _LoadedTurns([3] * 400, text=CountedText)
    body = conversations.Conversations(store).get(fakes.CALLER, str(uuid.uuid4()))  # type: ignore[arg-type]
    assert len(body["turns"]) == 3
    assert len(measured) <= 2 * 400
