"""The catalog's use cases and the knowledge-base searches as MCP tools of the AgentCore Gateway's Lambda
target (``tool_handler.py``).

Each enabled use case is one tool named like the use case. Its input schema is cut from the one API
schema (``GenerateRequest`` in schemas/requests.json, bundled and closed by ``api_schema``): the caller
text fields only (``TOOL_FIELDS``); the use case comes from the tool's name and the model is the use
case's default. A call runs ``Service.generate``: the API's validation, input and output screening,
guardrail and metrics. Standard library only (the agents stack imports ``tool_definitions`` at synth).

Gateway facts (devguide "gateway-add-target-lambda", "gateway-tool-naming"; not exercised against a live
Gateway): the event is the tool's arguments; ``context.client_context.custom["bedrockAgentCoreToolName"]``
names the tool as ``<target name>___<tool name>``; the function returns JSON, which the Gateway hands to
the agent as the tool's text. A refused or failed call returns ``{"error": {"code", "message"}}``; the
agent's Gateway client reports such a result as a failed tool call.

Each knowledge base the environment offers to the agent is one tool ``search_<knowledge base name>``
(:func:`search_tool_name`) taking ``{"query"}``; it runs the grounded answers' retrieval and document
screening (``knowledge_tool.py``) and returns ``{"knowledge_base", "note", "documents": [{"n", "source",
"score", "text"}]}``: the shape the agent reads its citations from (``agent_runtime/citations.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import api_schema

ENABLED_TOOLS_VARIABLE = "AGENT_TOOLS"
TOOL_NAME_KEY = "bedrockAgentCoreToolName"
TARGET_SEPARATOR = "___"
TOOL_FIELDS = ("input", "context", "instructions")
SEARCH_TOOL_PREFIX = "search_"
SEARCH_FIELDS = ("query",)
#: A search query's length bound: a question, not a document (Retrieve itself takes up to 20,000 characters).
MAX_SEARCH_QUERY_CHARS = 1000
#: Keywords the Gateway's tool schema (SchemaDefinition) carries; the rest stay with the API's validators.
_KEPT_KEYWORDS = ("type", "description", "properties", "required", "items")


def bare_name(name: str) -> str:
    return name.split(TARGET_SEPARATOR, 1)[1] if TARGET_SEPARATOR in name else name


def tool_input_schema() -> dict[str, Any]:
    generate = api_schema.request_schema("GenerateRequest")
    properties = {name: _gateway_schema(generate["properties"][name]) for name in TOOL_FIELDS}
    return {"type": "object", "properties": properties,
            "required": [name for name in TOOL_FIELDS if name in generate.get("required", [])]}


def tool_definitions(use_cases: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """``[(use case id, description)]`` -> the target's tool schema (name, description, inputSchema)."""
    schema = tool_input_schema()
    return [{"name": use_case, "description": description[:200], "inputSchema": schema} for use_case, description in use_cases]


def search_tool_name(knowledge_base: str) -> str:
    return SEARCH_TOOL_PREFIX + knowledge_base


def search_tool_definitions(knowledge_bases: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """``[(knowledge base name, description)]`` -> one search tool each."""
    schema = {"type": "object", "required": ["query"], "properties": {"query": {
        "type": "string",
        "description": f"What to look up, as a question or keywords (at most {MAX_SEARCH_QUERY_CHARS} characters)"}}}
    return [{"name": search_tool_name(name),
             "description": f"Search the knowledge base {name!r} ({description})"[:200],
             "inputSchema": schema} for name, description in knowledge_bases]


def enabled_from_environment(environ: Mapping[str, str]) -> frozenset[str]:
    raw = environ.get(ENABLED_TOOLS_VARIABLE, "")
    return frozenset(name for name in raw.split(",") if name)


def _gateway_schema(node: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON Schema node in the subset the Gateway's SchemaDefinition has: one type (null dropped)."""
    kept: dict[str, Any] = {}
    for key in _KEPT_KEYWORDS:
        if key not in node:
            continue
        value = node[key]
        if key == "type" and isinstance(value, list):
            value = next(kind for kind in value if kind != "null")
        elif key == "properties":
            value = {name: _gateway_schema(child) for name, child in value.items()}
        elif key == "items":
            value = _gateway_schema(value)
        kept[key] = value
    return kept
