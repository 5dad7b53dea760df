"""Lambda entry point of the AgentCore Gateway's Lambda target: the orchestrator's composition root
(``handler.RUNTIME``: settings, clients, safety filter, service) with a different front door."""

from __future__ import annotations

import os
from typing import Any

from handler import RUNTIME
from orchestrator.agent_tools import enabled_from_environment
from orchestrator.observability import logger, metrics
from orchestrator.tool_target import ToolTarget

TARGET = ToolTarget(RUNTIME.service, enabled_from_environment(os.environ))


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return TARGET.handle_event(event, context)
