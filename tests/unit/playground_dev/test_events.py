"""The dev server's translation of an HTTP request into the API Gateway REST proxy event the deployed API hands
the orchestrator: what the handler reads from it (method, path, resource, parameters, body, identity) must be
what it would read in AWS."""

from __future__ import annotations

import base64
import json

from orchestrator import api_schema
from orchestrator.owner import owner_of

from playground_dev.events import LOCAL_USER, proxy_event, route_table

ROUTES = route_table(api_schema.routes())
JSON_HEADERS = [("Host", "127.0.0.1:8765"), ("Content-Type", "application/json"), ("User-Agent", "browser/1.0")]


def event_for(method: str, target: str, body: bytes = b"", headers=JSON_HEADERS, **kwargs):
    return proxy_event(method, target, headers, body, routes=ROUTES, **kwargs)


def test_a_json_post_keeps_method_path_and_text_body() -> None:
    body = json.dumps({"use_case": "summarize", "input": "Grüße"}).encode()
    event = event_for("POST", "/v1/generate", body)
    assert (event["httpMethod"], event["path"], event["resource"]) == ("POST", "/v1/generate", "/v1/generate")
    assert event["body"] == body.decode() and event["isBase64Encoded"] is False
    assert event["requestContext"]["resourcePath"] == "/v1/generate" and event["requestContext"]["httpMethod"] == "POST"
    assert event["requestContext"]["path"] == "/local/v1/generate" and event["requestContext"]["stage"] == "local"


def test_no_body_is_null_and_not_base64() -> None:
    event = event_for("GET", "/v1/use-cases")
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_a_binary_body_is_base64_encoded() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff\xfe"
    event = event_for("POST", "/v1/generate", png, headers=[("Content-Type", "image/png")])
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == png


def test_bytes_that_are_not_utf8_under_a_text_type_are_base64_too() -> None:
    event = event_for("POST", "/v1/generate", b"\xff\xfe{}", headers=[("Content-Type", "application/json")])
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\xfe{}"


def test_query_string_last_value_and_every_value() -> None:
    event = event_for("GET", "/v1/conversations?limit=5&tag=a&tag=b&empty=")
    assert event["path"] == "/v1/conversations"
    assert event["queryStringParameters"] == {"limit": "5", "tag": "b", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"limit": ["5"], "tag": ["a", "b"], "empty": [""]}
    assert event_for("GET", "/v1/use-cases")["queryStringParameters"] is None


def test_headers_keep_their_case_last_value_and_every_value() -> None:
    event = event_for("GET", "/v1/models", headers=[("Accept", "text/html"), ("X-Trace", "1"), ("X-Trace", "2")])
    assert event["headers"] == {"Accept": "text/html", "X-Trace": "2"}
    assert event["multiValueHeaders"] == {"Accept": ["text/html"], "X-Trace": ["1", "2"]}


def test_a_templated_route_gets_its_resource_and_decoded_path_parameters() -> None:
    routes = route_table([{"method": "GET", "path": "/v1/conversations/{conversation_id}", "responses": {}},
                          {"method": "DELETE", "path": "/v1/conversations/{conversation_id}", "responses": {}}])
    event = proxy_event("DELETE", "/v1/conversations/abc%20d", [], b"", routes=routes)
    assert event["resource"] == "/v1/conversations/{conversation_id}"
    assert event["pathParameters"] == {"conversation_id": "abc d"} and event["path"] == "/v1/conversations/abc%20d"


def test_a_known_path_with_another_method_keeps_its_resource_so_the_handler_answers_405() -> None:
    event = event_for("DELETE", "/v1/generate")
    assert event["resource"] == "/v1/generate" and event["pathParameters"] is None


def test_an_unknown_path_is_the_greedy_proxy_resource() -> None:
    event = event_for("GET", "/v1/nothing/here")
    assert event["resource"] == "/{proxy+}" and event["pathParameters"] == {"proxy": "v1/nothing/here"}


def test_the_stub_sign_in_is_a_cognito_user_pool_identity_the_owner_rule_accepts() -> None:
    context = event_for("POST", "/v1/chat", b"{}", source_ip="127.0.0.9")["requestContext"]
    assert context["authorizer"]["claims"]["sub"] == LOCAL_USER and context["authorizer"]["claims"]["token_use"] == "id"
    assert context["identity"]["userArn"] is None and context["identity"]["sourceIp"] == "127.0.0.9"
    assert context["identity"]["userAgent"] == "browser/1.0"
    assert owner_of(context) == f"cognito:{LOCAL_USER}"


def test_another_stub_user_by_header_and_a_malformed_one_ignored() -> None:
    other = event_for("GET", "/v1/models", headers=[("X-Playground-User", "bob")])["requestContext"]
    assert owner_of(other) == "cognito:bob"
    bad = event_for("GET", "/v1/models", headers=[("x-playground-user", "bob/../x y")])["requestContext"]
    assert owner_of(bad) == f"cognito:{LOCAL_USER}"


def test_each_request_gets_its_own_request_id_and_time() -> None:
    first, second = event_for("GET", "/v1/models", now=1_700_000_000.5), event_for("GET", "/v1/models")
    assert first["requestContext"]["requestId"] != second["requestContext"]["requestId"]
    assert first["requestContext"]["requestTimeEpoch"] == 1_700_000_000_500


def test_streamed_routes_are_the_route_tables_event_stream_routes() -> None:
    streamed = {(r.method, r.template) for r in ROUTES if r.streamed}
    assert {("POST", "/v1/generate/stream"), ("POST", "/v1/chat/stream")} <= streamed
    assert ("POST", "/v1/generate") not in streamed
