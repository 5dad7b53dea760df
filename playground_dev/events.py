"""An HTTP request -> the API Gateway REST API's Lambda proxy event (payload format 1.0) the deployed API hands
the orchestrator, signed in by the stub: a Cognito user-pool authorizer's claims for ``local-user``.

Field names and shapes follow the API Gateway Developer Guide, "Input format of a Lambda function for proxy
integration" (REST APIs): ``resource`` is the matched resource template and ``pathParameters`` its variables
(the deployed API has one resource per route of schemas/routes.json, cdk/components/orchestration_api);
``headers``/``queryStringParameters`` hold the last value of each name and the ``multiValue*`` maps every
value; ``body`` is a string, base64 with ``isBase64Encoded`` true for binary content; ``requestContext`` carries
the request id, the stage and the authorizer's ``claims`` (what ``orchestrator.owner.owner_of`` reads).
Unverified here: whether API Gateway percent-decodes ``path`` (it does decode ``pathParameters``); the path is
passed on as the browser sent it.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

STAGE = "local"
LOCAL_USER = "local-user"
#: A header the dev server honours (and API Gateway never would): sign in as another stub user, so owner
#: scoping can be tried (another user's conversation is a 404).
USER_HEADER = "x-playground-user"
_USER_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
#: Bodies of these media types stay text; anything else (images, octet streams) is base64, as API Gateway
#: passes a binary media type.
_TEXT_TYPES = ("application/json", "application/x-www-form-urlencoded", "application/xml", "text/")


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str  # e.g. /v1/conversations/{conversation_id}
    streamed: bool  # answered as text/event-stream (the streaming function in AWS)

    def match(self, path: str) -> dict[str, str] | None:
        """The template's variables when ``path`` matches it, else None."""
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        found = re.fullmatch(pattern, path)
        return None if found is None else {name: unquote(value) for name, value in found.groupdict().items()}


def route_table(routes: Iterable[Mapping[str, Any]]) -> list[Route]:
    """Routes from schemas/routes.json entries (``api_schema.routes()``)."""
    return [Route(r["method"], r["path"], "text/event-stream" in (r.get("responses") or {})) for r in routes]


def find_route(table: Iterable[Route], method: str, path: str) -> tuple[Route | None, dict[str, str]]:
    """The route for ``method`` and ``path`` (a route of another method when only the path matches, so the
    handler answers its 405), with the path's variables."""
    by_path: tuple[Route | None, dict[str, str]] = (None, {})
    for route in table:
        params = route.match(path)
        if params is None:
            continue
        if route.method == method:
            return route, params
        by_path = by_path if by_path[0] else (route, params)
    return by_path


def stub_claims(user: str = LOCAL_USER) -> dict[str, str]:
    """What a Cognito user-pool authorizer puts in ``requestContext.authorizer.claims`` for an ID token."""
    return {"sub": user, "cognito:username": user, "token_use": "id", "email": f"{user}@example.com"}


def user_of(headers: Iterable[tuple[str, str]]) -> str:
    """The stub user: ``x-playground-user`` when valid, else ``local-user``."""
    for name, value in headers:
        if name.lower() == USER_HEADER and _USER_RE.match(value.strip()):
            return value.strip()
    return LOCAL_USER


def _is_text(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return not media or media.startswith(_TEXT_TYPES) or media.endswith("+json")


def _encode_body(body: bytes, content_type: str | None) -> tuple[str | None, bool]:
    if not body:
        return None, False
    if _is_text(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _single_and_multi(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    if not multi:
        return None, None
    return {name: values[-1] for name, values in multi.items()}, multi


def proxy_event(
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    routes: Iterable[Route],
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The proxy event for one request (``target`` = path and query as in the request line)."""
    headers = list(headers)
    split = urlsplit(target)
    path = split.path or "/"
    route, path_params = find_route(routes, method, path)
    resource = route.template if route else "/{proxy+}"
    if route is None:
        path_params = {"proxy": path.lstrip("/")}
    single_headers, multi_headers = _single_and_multi(headers)
    query, multi_query = _single_and_multi(parse_qsl(split.query, keep_blank_values=True))
    content_type = next((value for name, value in reversed(headers) if name.lower() == "content-type"), None)
    text, is_base64 = _encode_body(body, content_type)
    epoch_ms = int((time.time() if now is None else now) * 1000)
    user_agent = next((value for name, value in headers if name.lower() == "user-agent"), None)
    request_id = request_id or str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "playground",
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{STAGE}{path}",
            "stage": STAGE,
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTimeEpoch": epoch_ms,
            "domainName": "127.0.0.1",
            # A Cognito user-pool authorizer leaves the IAM fields of identity null and fills claims.
            "identity": {"sourceIp": source_ip, "userAgent": user_agent, "cognitoIdentityId": None, "userArn": None,
                         "caller": None, "accountId": None, "user": None},
            "authorizer": {"claims": stub_claims(user_of(headers))},
        },
        "body": text,
        "isBase64Encoded": is_base64,
    }
