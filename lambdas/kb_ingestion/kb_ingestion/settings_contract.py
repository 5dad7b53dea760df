"""The worker's environment variables: one contract, written by the knowledge stack and read by the handler.

Standard library only (the stack imports it through ``cdk/runtime_contracts.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

DATA_SOURCES = "DATA_SOURCES"
METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
# The metric dimension that names the knowledge base (the construct builds the same metrics for the dashboard).
KNOWLEDGE_BASE_DIMENSION = "KnowledgeBase"
# Metric names (the worker emits them; the construct reads them).
JOBS_STARTED = "IngestionJobsStarted"
LATEST_JOB_FAILED = "LatestIngestionJobFailed"
JOB_RUNNING = "IngestionJobRunning"
DOCUMENTS_SCANNED = "DocumentsScanned"
DOCUMENTS_INDEXED = "DocumentsIndexed"
DOCUMENTS_DELETED = "DocumentsDeleted"
DOCUMENTS_FAILED = "DocumentsFailed"


@dataclass(frozen=True)
class DataSourceTarget:
    """One data source the worker keeps in sync: its knowledge base, and the bucket/prefix it reads."""

    name: str  # the knowledge base's name in the config (the metric dimension)
    knowledge_base_id: str
    data_source_id: str
    bucket_name: str
    prefix: str = ""

    def covers(self, bucket_name: str, key: str) -> bool:
        return bucket_name == self.bucket_name and key.startswith(self.prefix)


@dataclass(frozen=True)
class IngestionSettings:
    data_sources: tuple[DataSourceTarget, ...]

    def to_env(self) -> dict[str, str]:
        return {DATA_SOURCES: json.dumps([asdict(target) for target in self.data_sources], separators=(",", ":"))}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> IngestionSettings:
        raw = env.get(DATA_SOURCES)
        if not raw:
            raise ValueError(f"{DATA_SOURCES} is not set")
        try:
            entries = json.loads(raw)
            targets = tuple(DataSourceTarget(**entry) for entry in entries)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{DATA_SOURCES} is not a JSON list of data sources: {exc}") from None
        if not targets:
            raise ValueError(f"{DATA_SOURCES} lists no data source")
        return cls(data_sources=targets)
