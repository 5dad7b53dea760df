"""Keep each data source in sync with its S3 source, one ingestion job at a time, and report on the jobs.

Sync (SQS batch of EventBridge events: S3 object changes, or this stack's deployment completing): for each data
source a batch touches, take the newest request time; if the latest ingestion job started after it, that job
already sees the change (done); if a job is still running, the messages are returned as batch-item failures and
SQS redelivers them after the visibility timeout (debounce, never two jobs); otherwise start a job. A
``ConflictException`` (a job started meanwhile) or throttling is treated like a running job.

Report (a schedule): the latest job of each data source, as status and document-count metrics.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from kb_ingestion.settings_contract import DataSourceTarget, IngestionSettings

RUNNING_STATUSES = frozenset({"STARTING", "IN_PROGRESS", "STOPPING"})
RETRYABLE_ERRORS = frozenset({"ConflictException", "ThrottlingException", "ServiceQuotaExceededException",
                              "InternalServerException"})


class UnknownEvent(ValueError):
    """A message that is neither an S3 object event nor a stack status event (dropped and logged, never retried)."""


@dataclass(frozen=True)
class SyncOutcome:
    target: DataSourceTarget
    action: str  # "started" | "covered" | "busy"
    job_id: str | None = None
    message_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SyncResult:
    outcomes: tuple[SyncOutcome, ...]
    ignored_message_ids: tuple[str, ...] = ()

    @property
    def retry_message_ids(self) -> list[str]:
        """Messages to redeliver later: those of data sources whose job is still running (deduplicated)."""
        ids: dict[str, None] = {}
        for outcome in self.outcomes:
            if outcome.action == "busy":
                ids.update(dict.fromkeys(outcome.message_ids))
        return list(ids)


@dataclass(frozen=True)
class JobReport:
    target: DataSourceTarget
    status: str | None  # None: no job yet
    statistics: Mapping[str, int] = field(default_factory=dict)


def event_time(event: Mapping[str, Any]) -> datetime:
    """The EventBridge event's ``time`` (UTC, second precision)."""
    return datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def targets_of(event: Mapping[str, Any], settings: IngestionSettings) -> tuple[DataSourceTarget, ...]:
    """The data sources an event concerns: the ones whose bucket and prefix hold the object, or all of them on a
    deployment of the stack (a new or replaced data source is empty until its first job)."""
    source = event.get("source")
    detail = event.get("detail") or {}
    if source == "aws.s3":
        bucket = (detail.get("bucket") or {}).get("name", "")
        key = (detail.get("object") or {}).get("key", "")
        return tuple(target for target in settings.data_sources if target.covers(bucket, key))
    if source == "aws.cloudformation":
        return settings.data_sources
    raise UnknownEvent(f"unexpected event source {source!r}")


class IngestionWorker:
    """Talks to ``bedrock-agent`` (a botocore client) for the data sources of ``settings``."""

    def __init__(self, client: Any, settings: IngestionSettings) -> None:
        self._client = client
        self._settings = settings

    def sync(self, records: Iterable[Mapping[str, Any]]) -> SyncResult:
        """``records``: SQS records whose bodies are EventBridge events. One outcome per data source touched."""
        requested: dict[DataSourceTarget, tuple[datetime, list[str]]] = {}
        ignored: list[str] = []
        for record in records:
            message_id = record.get("messageId", "")
            try:
                event = json.loads(record["body"])
                when = event_time(event)
                targets = targets_of(event, self._settings)
            except (KeyError, TypeError, ValueError):  # UnknownEvent is a ValueError
                ignored.append(message_id)
                continue
            for target in targets:
                latest, ids = requested.get(target, (when, []))
                requested[target] = (max(latest, when), [*ids, message_id])
        outcomes = [self._sync_one(target, when, tuple(ids)) for target, (when, ids) in requested.items()]
        return SyncResult(outcomes=tuple(outcomes), ignored_message_ids=tuple(ignored))

    def _sync_one(self, target: DataSourceTarget, requested_at: datetime, ids: tuple[str, ...]) -> SyncOutcome:
        latest = self.latest_job(target)
        if latest is not None and latest["startedAt"] >= requested_at:
            return SyncOutcome(target, "covered", latest["ingestionJobId"], ids)
        if latest is not None and latest["status"] in RUNNING_STATUSES:
            return SyncOutcome(target, "busy", latest["ingestionJobId"], ids)
        try:
            response = self._client.start_ingestion_job(
                knowledgeBaseId=target.knowledge_base_id, dataSourceId=target.data_source_id,
                description=f"sync of {target.name} after source changes up to {requested_at.isoformat()}",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in RETRYABLE_ERRORS:
                return SyncOutcome(target, "busy", None, ids)
            raise
        return SyncOutcome(target, "started", response["ingestionJob"]["ingestionJobId"], ids)

    def latest_job(self, target: DataSourceTarget) -> Mapping[str, Any] | None:
        response = self._client.list_ingestion_jobs(
            knowledgeBaseId=target.knowledge_base_id, dataSourceId=target.data_source_id,
            sortBy={"attribute": "STARTED_AT", "order": "DESCENDING"}, maxResults=1,
        )
        jobs = response.get("ingestionJobSummaries") or []
        return jobs[0] if jobs else None

    def report(self) -> list[JobReport]:
        reports = []
        for target in self._settings.data_sources:
            latest = self.latest_job(target)
            if latest is None:
                reports.append(JobReport(target, None))
            else:
                reports.append(JobReport(target, latest["status"], dict(latest.get("statistics") or {})))
        return reports
