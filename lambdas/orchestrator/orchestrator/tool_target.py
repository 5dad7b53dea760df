"""The Gateway's Lambda target: a tool call -> the API's ``Service.generate`` (a use case, see ``agent_tools``)
or the grounded answers' retrieval and screening (a knowledge-base search, see ``knowledge_tool``).

Every call returns a JSON result, a failure included (``{"error": {"code", "message"}}``): an exception escaping
the handler would be a Lambda function error, whose message and stack trace (which may quote the tool's
arguments) Lambda logs and hands back to the Gateway and so to the agent's model. Unexpected failures are
logged by type only, as the API's routes do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .agent_tools import TOOL_FIELDS, TOOL_NAME_KEY, bare_name, search_tool_name
from .errors import ApiError
from .knowledge_settings import KnowledgeBaseSettings
from .knowledge_tool import search_knowledge_base
from .observability import logger
from .service import RequestContext, Service

#: The Gateway invokes with its service role: the end user is the agent's caller, checked by the agent's policy.
GATEWAY_CALLER = "agentcore-gateway"


class ToolTarget:
    def __init__(self, service: Service, enabled: frozenset[str]) -> None:
        self.service = service
        self.use_cases = frozenset(name for name in enabled if name in service.catalog)
        searches = {search_tool_name(kb.name): kb for kb in service.settings.knowledge_bases.values()}
        self.searches: dict[str, KnowledgeBaseSettings] = {name: kb for name, kb in searches.items() if name in enabled}
        self.enabled = self.use_cases | frozenset(self.searches)

    def handle_event(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        custom = getattr(getattr(context, "client_context", None), "custom", None) or {}
        tool = bare_name(str(custom.get(TOOL_NAME_KEY, "")))
        if tool not in self.enabled:
            logger.info("tool call refused", extra={"tool_known": False})
            return _error("unknown_tool", f"no such tool; tools: {sorted(self.enabled)}")
        arguments = event if isinstance(event, Mapping) else {}
        ctx = RequestContext(request_id=str(getattr(context, "aws_request_id", "")), caller=GATEWAY_CALLER,
                             deadline=self.service.deadline(context))
        try:
            if tool in self.searches:
                return search_knowledge_base(self.service, self.searches[tool], arguments, ctx)
            return self._use_case(tool, arguments, ctx)
        except ApiError as exc:
            logger.info("tool call failed", extra={"tool": tool, "status": exc.status, "code": exc.code})
            return {"error": exc.body()}
        except Exception as exc:  # noqa: BLE001 - a result, never a trace (module doc)
            logger.error("tool call failed unexpectedly", extra={"tool": tool, "error_type": type(exc).__name__})
            return _error("internal_error", "the tool failed; the failure is logged under this call's request id")

    def _use_case(self, tool: str, arguments: Mapping[str, Any], ctx: RequestContext) -> dict[str, Any]:
        unknown = sorted(set(arguments) - set(TOOL_FIELDS))
        if unknown:
            return _error("validation_error", f"unknown argument(s) {len(unknown)}; allowed: {', '.join(TOOL_FIELDS)}")
        result = self.service.generate({**arguments, "use_case": tool}, ctx)
        return {"output": result["output"], "use_case": tool, "model": result["model"], "usage": result["usage"]}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
