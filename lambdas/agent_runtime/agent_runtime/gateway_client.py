"""The tool port over the AgentCore Gateway's MCP endpoint: JSON-RPC 2.0 over streamable HTTP, SigV4-signed
(the Gateway's inbound authorization is IAM).

Standard library + botocore (signing only), so the Runtime's code asset needs no MCP SDK. What is verified:
the MCP methods ``initialize``, ``tools/list`` (cursor pagination) and ``tools/call`` ({name, arguments} ->
{content: [{type: text, text}], isError}) from the MCP specification; a streamable-HTTP server may answer
``application/json`` or ``text/event-stream`` (both parsed). Not verified against a live Gateway (no AWS here):
the signing service name ``bedrock-agentcore`` and whether the Gateway requires ``initialize`` first (sent once).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from .run_state import ToolOutcome, ToolSpec

PROTOCOL_VERSION = "2025-03-26"
SIGNING_SERVICE = "bedrock-agentcore"


class GatewayError(Exception):
    pass


class GatewayTools:
    def __init__(self, url: str, *, region: str, credentials: Any, list_timeout: float = 10.0) -> None:
        if not url.startswith("https://"):
            raise ValueError("the Gateway URL must be https")
        self.url, self.region, self.credentials, self.list_timeout = url, region, credentials, list_timeout
        self._ids = itertools.count(1)
        self._session_id: str | None = None
        self._tools: tuple[ToolSpec, ...] | None = None

    def list_tools(self) -> Sequence[ToolSpec]:
        if self._tools is None:  # the Gateway's catalog is fixed per deployment: listed once per process
            self._initialize()
            tools: list[ToolSpec] = []
            cursor: str | None = None
            while True:
                result = self._rpc("tools/list", {"cursor": cursor} if cursor else {}, self.list_timeout)
                tools += [ToolSpec(t["name"], t.get("description", ""), t.get("inputSchema") or {"type": "object"})
                          for t in result.get("tools", [])]
                cursor = result.get("nextCursor")
                if not cursor:
                    break
            self._tools = tuple(tools)
        return self._tools

    def call_tool(self, name: str, arguments: Mapping[str, Any], *, timeout: float) -> ToolOutcome:
        result = self._rpc("tools/call", {"name": name, "arguments": dict(arguments)}, timeout)
        text = "".join(item.get("text", "") for item in result.get("content", []) if item.get("type") == "text")
        return outcome_of(text, is_error=bool(result.get("isError")))

    def _initialize(self) -> None:
        self._rpc("initialize", {"protocolVersion": PROTOCOL_VERSION, "capabilities": {},
                                 "clientInfo": {"name": "genai-stack-agent", "version": "1"}}, self.list_timeout)

    def _rpc(self, method: str, params: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        body = json.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": dict(params)})
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self._session_id:
            headers["Mcp-Session-Id"] = self._session_id
        request = AWSRequest(method="POST", url=self.url, data=body.encode("utf-8"), headers=headers)
        SigV4Auth(self.credentials.get_frozen_credentials(), SIGNING_SERVICE, self.region).add_auth(request)
        # The URL is https (checked in __init__), from the settings.
        prepared = urllib.request.Request(self.url, data=request.body, headers=dict(request.headers.items()),  # noqa: S310
                                          method="POST")
        with urllib.request.urlopen(prepared, timeout=max(timeout, 0.1)) as response:  # noqa: S310
            self._session_id = response.headers.get("Mcp-Session-Id") or self._session_id
            message = parse_response(response.headers.get("Content-Type", ""), response.read().decode("utf-8"))
        if "error" in message:
            raise GatewayError(f"{method}: JSON-RPC error {message['error'].get('code')}")
        return message.get("result") or {}


def outcome_of(text: str, *, is_error: bool = False) -> ToolOutcome:
    """A tool's text as an outcome: our Lambda target reports a refused or failed call as ``{"error": ...}``."""
    if not is_error and text.startswith("{"):
        with contextlib.suppress(ValueError):
            is_error = "error" in json.loads(text)
    return ToolOutcome(text, is_error=is_error)


def parse_response(content_type: str, text: str) -> dict[str, Any]:
    """One JSON-RPC response from a JSON body or the last ``data:`` event of an SSE stream."""
    if content_type.startswith("text/event-stream"):
        data = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        if not data:
            raise GatewayError("empty event stream")
        text = data[-1]
    return json.loads(text)
