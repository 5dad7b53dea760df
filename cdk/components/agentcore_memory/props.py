"""Typed arguments of :class:`~cdk.components.agentcore_memory.AgentMemory` (CDK-free: the config builds them)."""

from __future__ import annotations

from dataclasses import dataclass

#: Short-term event expiry in days: aws-cdk-lib 2.275 ``aws_bedrockagentcore.Memory`` expirationDuration (7..365).
EVENT_RETENTION_DAYS_RANGE = (7, 365)


@dataclass(frozen=True)
class AgentMemoryProps:
    """Short-term events kept ``event_retention_days``; long-term records extracted by the built-in summary
    and user-preference strategies where switched on."""

    event_retention_days: int = 30
    summaries: bool = True
    user_preferences: bool = True
