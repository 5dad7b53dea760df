"""Dataset item x model -> the API's request, and the API's answer -> an evaluation record.

One contract for every path: the CLI sends :func:`api_request` over HTTPS (SigV4), the local runner and
the state machine invoke the orchestrator function with :func:`proxy_event` (the API Gateway REST proxy
event the API would send), and all three turn the answer into the same record (:func:`record`), which is
one line of ``responses.jsonl`` and the scorer's input.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from .metric_sets import METRIC_SETS

#: Item fields the API does not take: expectations and bookkeeping (``knowledge_base`` is sent: the API retrieves
#: from it, requests.json ModelCallFields).
_NOT_SENT = frozenset({"id", "use_case", "references", "label", "citations", "tags"})


def api_request(item: Mapping[str, Any], model: str | None) -> tuple[str, dict[str, Any]]:
    """(path, JSON body) of the request that runs ``item`` on ``model`` (None: the API's default model)."""
    route = METRIC_SETS[item["use_case"]].route
    if route == "/v1/chat":
        body: dict[str, Any] = {"message": item["input"]}
        body.update({k: item[k] for k in ("parameters", "knowledge_base") if k in item})
    else:
        body = {"use_case": item["use_case"], **{k: v for k, v in item.items() if k not in _NOT_SENT}}
    if model:
        body["model"] = model
    return route, body


def proxy_event(path: str, body: Mapping[str, Any], *, request_id: str | None = None,
                caller: str = "evaluation") -> dict[str, Any]:
    """The API Gateway REST proxy event for POST ``path`` (IAM-authorized caller ``caller``)."""
    request_id = request_id or str(uuid.uuid4())
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "requestId": request_id,
            "resourcePath": "/{proxy+}",
            "httpMethod": "POST",
            "path": path,
            "stage": "evaluation",
            "identity": {"userArn": caller, "caller": caller},
        },
        "body": json.dumps(body, ensure_ascii=False),
        "isBase64Encoded": False,
    }


def prepared_line(item: Mapping[str, Any], model: str) -> dict[str, Any]:
    """One line of the state machine's work list: the item, the model and the event that runs it."""
    path, body = api_request(item, model)
    return {"item": dict(item), "model": model, "event": proxy_event(path, body)}


def output_text(body: Mapping[str, Any]) -> str:
    value = body.get("output", body.get("reply", ""))
    return value if isinstance(value, str) else ""


def record(item: Mapping[str, Any], model: str, status: int, body: Any) -> dict[str, Any]:
    """One evaluation record: the item, the model asked for, the HTTP status and the answer's JSON body."""
    if not isinstance(body, dict):
        body = {"error": {"code": "unparseable_response"}}
    return {"item": dict(item), "model": body.get("model") or model, "status": int(status), "body": body}


def record_from_proxy(item: Mapping[str, Any], model: str, response: Mapping[str, Any]) -> dict[str, Any]:
    """A record from the orchestrator function's proxy response (statusCode + JSON string body)."""
    try:
        body = json.loads(response.get("body") or "{}")
    except (TypeError, ValueError):
        body = None
    return record(item, model, int(response.get("statusCode") or 500), body)
