"""The Gateway's Lambda target: a tool call -> the API's ``Service.generate`` (see ``agent_tools``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .agent_tools import TOOL_FIELDS, TOOL_NAME_KEY, bare_name
from .errors import ApiError
from .observability import logger
from .service import RequestContext, Service

#: The Gateway invokes with its service role: the end user is the agent's caller, checked by the agent's policy.
GATEWAY_CALLER = "agentcore-gateway"


class ToolTarget:
    def __init__(self, service: Service, enabled: frozenset[str]) -> None:
        self.service = service
        self.enabled = frozenset(name for name in enabled if name in service.catalog)

    def handle_event(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        custom = getattr(getattr(context, "client_context", None), "custom", None) or {}
        tool = bare_name(str(custom.get(TOOL_NAME_KEY, "")))
        if tool not in self.enabled:
            logger.info("tool call refused", extra={"tool_known": False})
            return _error("unknown_tool", f"no such tool; tools: {sorted(self.enabled)}")
        arguments = event if isinstance(event, Mapping) else {}
        unknown = sorted(set(arguments) - set(TOOL_FIELDS))
        if unknown:
            return _error("validation_error", f"unknown argument(s) {len(unknown)}; allowed: {', '.join(TOOL_FIELDS)}")
        ctx = RequestContext(request_id=str(getattr(context, "aws_request_id", "")), caller=GATEWAY_CALLER,
                             deadline=self.service.deadline(context))
        try:
            result = self.service.generate({**arguments, "use_case": tool}, ctx)
        except ApiError as exc:
            logger.info("tool call failed", extra={"tool": tool, "status": exc.status, "code": exc.code})
            return {"error": exc.body()}
        return {"output": result["output"], "use_case": tool, "model": result["model"], "usage": result["usage"]}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
