"""Typed arguments of :class:`~cdk.components.agentcore_memory.AgentMemory` (CDK-free: the config builds them)."""

from __future__ import annotations

from dataclasses import dataclass

from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()

# isort: split
from agent_runtime.settings_contract import PREFERENCE_NAMESPACE, SUMMARY_NAMESPACE  # noqa: E402

#: Short-term event expiry in days: aws-cdk-lib 2.275 ``aws_bedrockagentcore.Memory`` expirationDuration (7..365).
EVENT_RETENTION_DAYS_RANGE = (7, 365)
#: Long-term records recalled per namespace at the start of a turn (RetrieveMemoryRecords topK is 1..100).
RECALL_RECORDS_RANGE = (0, 20)


@dataclass(frozen=True)
class AgentMemoryProps:
    """Short-term events kept ``event_retention_days``; long-term records extracted by the built-in summary
    and user-preference strategies where switched on, into the namespaces the agent recalls from (the
    agent's settings contract: summaries per owner and session, preferences per owner)."""

    event_retention_days: int = 30
    summaries: bool = True
    user_preferences: bool = True
    summary_namespace: str = SUMMARY_NAMESPACE
    preference_namespace: str = PREFERENCE_NAMESPACE
