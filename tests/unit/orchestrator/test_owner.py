"""Issue 12 item 2: the chat owner is a person, never a role session that several people share.

Request contexts are shaped as API Gateway (REST, Lambda proxy) fills ``requestContext``: IAM auth
fills ``identity`` (``userArn``, ``caller``, ``user``, ``accountId``, and the ``cognito*`` fields when
the request was signed with Cognito identity-pool credentials); a Cognito user-pool authorizer
fills ``authorizer.claims`` and leaves the IAM fields null.
"""

from __future__ import annotations

import json

import pytest
from orchestrator.errors import Forbidden
from orchestrator.owner import owner_of

from localaws import fakes

from .test_orchestrator_chat import table  # noqa: F401 - the moto DynamoDB fixture

ACCOUNT = "123456789012"
ROLE_ID = "AROAEXAMPLEROLEID0001"
POOL = "eu-west-1:0c3a5f2e-1111-2222-3333-444455556666"


def identity_pool_identity(identity_id: str) -> dict:
    """IAM auth with credentials from a Cognito identity pool (enhanced flow): the role session is
    always named ``CognitoIdentityCredentials``; only ``cognitoIdentityId`` tells people apart."""
    return {
        "cognitoIdentityPoolId": POOL,
        "cognitoIdentityId": identity_id,
        "cognitoAuthenticationType": "authenticated",
        "cognitoAuthenticationProvider": "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc,cognito-idp...:CognitoSignIn:x",
        "accountId": ACCOUNT,
        "caller": f"{ROLE_ID}:CognitoIdentityCredentials",
        "user": f"{ROLE_ID}:CognitoIdentityCredentials",
        "userArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/genai-api-users/CognitoIdentityCredentials",
        "sourceIp": "198.51.100.7",
    }


def role_identity(session: str) -> dict:
    return {
        "cognitoIdentityPoolId": None,
        "cognitoIdentityId": None,
        "cognitoAuthenticationType": None,
        "accountId": ACCOUNT,
        "caller": f"{ROLE_ID}:{session}",
        "user": f"{ROLE_ID}:{session}",
        "userArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/genai-api-callers/{session}",
    }


def user_identity() -> dict:
    return {
        "cognitoIdentityId": None,
        "accountId": ACCOUNT,
        "caller": "AIDAEXAMPLEUSERID0001",
        "user": "AIDAEXAMPLEUSERID0001",
        "userArn": f"arn:aws:iam::{ACCOUNT}:user/alice",
    }


def context(identity: dict, claims: dict | None = None) -> dict:
    return {"requestId": "r-1", "identity": identity, **({"authorizer": {"claims": claims}} if claims else {})}


def test_user_pool_caller_is_owned_by_the_sub_claim() -> None:
    nulls = {"userArn": None, "caller": None, "cognitoIdentityId": None, "sourceIp": "198.51.100.7"}
    claims = {"sub": "7d8e9f00-aaaa-bbbb-cccc-000000000001", "token_use": "id", "email": "a@example.com"}
    assert owner_of(context(nulls, claims)) == "cognito:7d8e9f00-aaaa-bbbb-cccc-000000000001"


def test_identity_pool_users_sharing_one_role_get_their_own_owner() -> None:
    alice = owner_of(context(identity_pool_identity("eu-west-1:aaaaaaaa-0000-0000-0000-000000000001")))
    bob = owner_of(context(identity_pool_identity("eu-west-1:bbbbbbbb-0000-0000-0000-000000000002")))
    assert alice == "cognito-identity:eu-west-1:aaaaaaaa-0000-0000-0000-000000000001"
    assert bob != alice


def test_a_role_session_is_owned_by_role_and_session_name() -> None:
    owner = owner_of(context(role_identity("alice@example.com")))
    assert owner == f"arn:aws:sts::{ACCOUNT}:assumed-role/genai-api-callers/alice@example.com"
    assert owner_of(context(role_identity("bob@example.com"))) != owner


def test_the_identity_pool_session_name_without_an_identity_id_is_refused() -> None:
    with pytest.raises(Forbidden) as info:
        owner_of(context(role_identity("CognitoIdentityCredentials")))
    assert "cognitoIdentityId" in info.value.message


def test_an_iam_user_is_owned_by_the_user_arn() -> None:
    assert owner_of(context(user_identity())) == f"arn:aws:iam::{ACCOUNT}:user/alice"


def test_an_unauthenticated_request_has_no_owner() -> None:
    assert owner_of(context({"userArn": None, "caller": None, "sourceIp": "198.51.100.7"})) is None
    assert owner_of({}) is None


def _chat(handler_module, body: dict, identity: dict) -> tuple[int, dict]:
    event = fakes.api_event("POST", "/v1/chat", body)
    event["requestContext"]["identity"] = identity
    response = handler_module.handler(event, fakes.LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def test_two_identity_pool_users_on_one_role_never_share_a_conversation(handler_module, aws, table) -> None:  # noqa: F811
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("Hello."))
    alice = identity_pool_identity("eu-west-1:aaaaaaaa-0000-0000-0000-000000000001")
    bob = identity_pool_identity("eu-west-1:bbbbbbbb-0000-0000-0000-000000000002")
    status, first = _chat(handler_module, {"message": "my plans"}, alice)
    assert status == 200
    status, body = _chat(handler_module, {"conversation_id": first["conversation_id"], "message": "show me"}, bob)
    assert status == 404 and body["error"]["code"] == "conversation_not_found"
    status, _ = _chat(handler_module, {"conversation_id": first["conversation_id"], "message": "more"}, alice)
    assert status == 200
