"""POST /v1/chat: history in DynamoDB (moto), trimmed to the token budget, alternating turns,
never holding unmasked PII."""

from __future__ import annotations

import json
import time
from typing import Any

import botocore.session
import pytest
from moto import mock_aws
from orchestrator import history_contract
from orchestrator.chat_store import ChatStore, Turn, estimate_tokens, trim_history

from localaws import fakes

TABLE = fakes.ENV["CONVERSATION_TABLE"]


@pytest.fixture
def table(aws: fakes.FakeAws, monkeypatch: pytest.MonkeyPatch):
    # moto answers DynamoDB only; model and Comprehend calls pass through to FakeAws.
    passthrough = {"urls": [r"https://(bedrock-runtime|bedrock-agent-runtime|runtime\.sagemaker|comprehend)\..*"]}
    with mock_aws(config={"core": {"passthrough": passthrough}}):
        client = botocore.session.get_session().create_client(
            "dynamodb", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        client.create_table(**history_contract.create_table_request(TABLE))
        monkeypatch.setattr(ChatStore, "_client", lambda self: client)
        yield client


def items(table: Any, conversation_id: str, *, summary: bool = False) -> list[dict]:
    """The conversation's turn items, oldest first (with ``summary``: the summary item too, first)."""
    response = table.query(
        TableName=TABLE, KeyConditionExpression="conversation_id = :c", ExpressionAttributeValues={":c": {"S": conversation_id}}
    )
    found = sorted(response["Items"], key=lambda item: int(item["turn"]["N"]))
    return found if summary else [item for item in found if int(item["turn"]["N"]) >= 0]


def test_new_conversation_then_follow_up_sends_alternating_turns(call, aws, table) -> None:
    replies = iter(["Hello! How can I help?", "Paris is the capital of France."])
    aws.on("bedrock-runtime", "Converse", lambda req, p: fakes.converse_reply(next(replies))(req, p))
    status, first, _ = call("POST", "/v1/chat", {"message": "Hi there"})
    assert status == 200 and first["reply"] == "Hello! How can I help?" and first["turn"] == 1
    conversation_id = first["conversation_id"]

    status, second, _ = call("POST", "/v1/chat", {"conversation_id": conversation_id, "message": "Capital of France?"})
    assert status == 200 and second["conversation_id"] == conversation_id and second["history_turns_sent"] == 2
    sent = aws.payloads("bedrock-runtime", "Converse")[1]
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert [m["content"][0]["text"] for m in sent["messages"]] == ["Hi there", "Hello! How can I help?", "Capital of France?"]
    assert "friendly, helpful assistant" in sent["system"][0]["text"]

    stored = items(table, conversation_id)
    assert [(int(i["turn"]["N"]), i["role"]["S"]) for i in stored] == [
        (0, "user"),
        (1, "assistant"),
        (2, "user"),
        (3, "assistant"),
    ]
    assert all(i["owner"]["S"] == fakes.CALLER for i in stored)
    ttl = int(stored[0]["expires_at"]["N"])
    assert time.time() + 3500 < ttl <= time.time() + 3600


def test_history_holds_only_masked_text_and_the_reply_is_restored(call, aws, table, safety_fake) -> None:
    aws.on(
        "bedrock-runtime",
        "Converse",
        lambda req, p: fakes.converse_reply("I will write to " + p["messages"][-1]["content"][0]["text"].split()[-1])(req, p),
    )
    status, body, _ = call("POST", "/v1/chat", {"message": "Please e-mail carol@example.com"})
    assert status == 200 and body["reply"] == "I will write to carol@example.com"
    stored = json.dumps(items(table, body["conversation_id"]))
    assert "carol@example.com" not in stored and "[EMAIL_1]" in stored


def test_next_turn_numbers_placeholders_past_the_history(call, aws, table, safety_fake) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("noted"))
    first = call("POST", "/v1/chat", {"message": "Mail carol@example.com"})[2 - 1]
    call("POST", "/v1/chat", {"conversation_id": first["conversation_id"], "message": "and dave@example.com"})
    sent = aws.payloads("bedrock-runtime", "Converse")[1]["messages"][-1]["content"][0]["text"]
    assert sent == "and [EMAIL_2]"  # not a second, different [EMAIL_1]


def test_history_is_trimmed_to_the_token_budget_oldest_first(call, aws, table, monkeypatch) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("r" * 400))  # ~100 tokens per reply
    conversation_id = call("POST", "/v1/chat", {"message": "m" * 2000})[1]["conversation_id"]  # ~500 tokens
    for _ in range(5):
        call("POST", "/v1/chat", {"conversation_id": conversation_id, "message": "q" * 1600})  # ~400 tokens
    status, body, _ = call("POST", "/v1/chat", {"conversation_id": conversation_id, "message": "last"})
    assert status == 200
    messages = aws.payloads("bedrock-runtime", "Converse")[-1]["messages"]
    history = messages[:-1]
    assert [m["role"] for m in messages] == ["user", "assistant"] * (len(history) // 2) + ["user"]
    used = sum(estimate_tokens(m["content"][0]["text"]) for m in messages)
    assert used <= 2000  # CHAT_HISTORY_MAX_TOKENS
    assert body["history_turns_sent"] == len(history) < 12
    assert "m" * 2000 not in json.dumps(history)  # the oldest pair went first


def test_trim_history_keeps_whole_pairs_newest_first() -> None:
    turns = [Turn(0, "user", "a" * 40), Turn(1, "assistant", "b" * 40), Turn(2, "user", "c" * 40), Turn(3, "assistant", "d" * 40)]
    assert trim_history(turns, 20) == turns[2:]
    assert trim_history(turns, 19) == []
    assert trim_history(turns, 1000) == turns
    assert trim_history(list(reversed(turns)), 1000) == turns  # order restored
    assert trim_history([Turn(1, "assistant", "x"), *turns[2:]], 1000) == turns[2:]  # a lone turn is skipped


def test_unknown_foreign_or_expired_conversation_is_404(call, aws, table) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("hi"))
    status, body, _ = call("POST", "/v1/chat", {"conversation_id": "6f1c2a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f", "message": "x"})
    assert status == 404 and body["error"]["code"] == "conversation_not_found"
    conversation_id = call("POST", "/v1/chat", {"message": "mine"})[1]["conversation_id"]
    status, body, _ = call(
        "POST", "/v1/chat", {"conversation_id": conversation_id, "message": "x"}, caller="arn:aws:iam::123456789012:user/mallory"
    )
    assert status == 404
    store = ChatStore(TABLE, 3600, clients=None)
    with pytest.raises(Exception) as info:
        store.load(conversation_id, fakes.CALLER, 1000, now=time.time() + 7200)
    assert getattr(info.value, "status", None) == 404


def test_cognito_users_each_own_their_conversations(call, aws, table) -> None:
    # With a Cognito authorizer the IAM identity is empty: the owner must be the user's `sub` claim,
    # or every user would share one owner and read each other's history.
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("hi"))
    alice = "0a1b2c3d-0000-4000-8000-00000000a11c"
    status, body, _ = call("POST", "/v1/chat", {"message": "mine"}, caller=None, cognito_sub=alice)
    assert status == 200, body
    conversation_id = body["conversation_id"]
    status, _, _ = call("POST", "/v1/chat", {"conversation_id": conversation_id, "message": "again"},
                        caller=None, cognito_sub=alice)
    assert status == 200
    status, body, _ = call("POST", "/v1/chat", {"conversation_id": conversation_id, "message": "peek"},
                           caller=None, cognito_sub="0a1b2c3d-0000-4000-8000-000000000b0b")
    assert status == 404 and body["error"]["code"] == "conversation_not_found"


def test_concurrent_write_to_the_same_turn_is_409(call, aws, table) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("hi"))
    conversation_id = call("POST", "/v1/chat", {"message": "one"})[1]["conversation_id"]
    ChatStore(TABLE, 3600, clients=None).append_pair(conversation_id, fakes.CALLER, 2, "racing", "pair", fakes.HAIKU)
    store = ChatStore(TABLE, 3600, clients=None)
    with pytest.raises(Exception) as info:
        store.append_pair(conversation_id, fakes.CALLER, 2, "late", "pair", fakes.HAIKU)
    assert getattr(info.value, "status", None) == 409


def test_chat_validation(call, table) -> None:
    assert call("POST", "/v1/chat", {"message": ""})[0] == 400
    status, body, _ = call("POST", "/v1/chat", {"message": "x", "conversation_id": "not-a-uuid"})
    assert status == 400 and body["error"]["field"] == "conversation_id"
    status, body, _ = call("POST", "/v1/chat", {"message": "x" * 12_001})
    assert status == 413 and body["error"]["field"] == "message"


def test_store_outage_is_503_and_throttling_429(call, aws, table, monkeypatch, no_retry_sleep) -> None:
    from botocore.exceptions import ClientError

    def failing(code: str, status: int):
        def query(**_: Any):
            raise ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Query")

        return query

    monkeypatch.setattr(table, "query", failing("ProvisionedThroughputExceededException", 400))
    status, body, headers = call("POST", "/v1/chat", {"conversation_id": "6f1c2a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f", "message": "x"})
    assert status == 429 and headers["Retry-After"] == "2"
    monkeypatch.setattr(table, "query", failing("InternalServerError", 500))
    status, body, _ = call("POST", "/v1/chat", {"conversation_id": "6f1c2a3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f", "message": "x"})
    assert status == 503 and body["error"]["code"] == "dependency_unavailable"


def test_chat_on_sagemaker_uses_plain_user_assistant_turns(call, aws, table) -> None:
    aws.on(
        "sagemaker-runtime",
        "InvokeEndpoint",
        fakes.sagemaker_reply({"generated_text": "Hi!", "details": {"generated_tokens": 1}}),
    )
    conversation_id = call("POST", "/v1/chat", {"message": "Hello", "model": fakes.LMI})[1]["conversation_id"]
    status, _, _ = call("POST", "/v1/chat", {"conversation_id": conversation_id, "message": "Again", "model": fakes.LMI})
    assert status == 200
    inputs = aws.payloads("sagemaker-runtime", "InvokeEndpoint")[1]["inputs"]
    assert inputs.endswith("User: Hello\nAssistant: Hi!\nUser: Again\nAssistant:")


def test_history_writes_fit_in_the_time_kept_back_after_the_model_call() -> None:
    # The history write comes after the model call and output screening; the handler keeps
    # RESPONSE_MARGIN_SECONDS back for it and the stack keeps api.deadline_margin_seconds (3 s by default)
    # between the handler's deadline and API Gateway's timeout. A slow DynamoDB must end inside that,
    # as a JSON error, not as a gateway timeout.
    from orchestrator import clients
    from orchestrator.deadline import RESPONSE_MARGIN_SECONDS

    config = clients.client_config("dynamodb", model_read_timeout=27.0)
    attempts = config.retries["total_max_attempts"]
    first_retry_backoff = 1.0  # botocore standard mode: random(0, 1) * 2 ** 0 seconds before the 2nd attempt
    worst = attempts * (config.connect_timeout + config.read_timeout) + (attempts - 1) * first_retry_backoff
    assert attempts <= 2
    assert worst <= RESPONSE_MARGIN_SECONDS + 3.0
