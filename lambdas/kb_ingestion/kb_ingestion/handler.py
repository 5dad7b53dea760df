"""Lambda entry point of the ingestion worker (``kb_ingestion.handler.handler``).

Thin: settings and the ``bedrock-agent`` client are built once at cold start and handed to
:class:`~kb_ingestion.worker.IngestionWorker`. Two triggers:

- SQS (``Records``): debounced sync requests; returns ``batchItemFailures`` for messages to retry later;
- EventBridge schedule (``detail-type`` "Scheduled Event"): publishes each data source's latest job as metrics.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from kb_ingestion.settings_contract import (
    DOCUMENTS_DELETED,
    DOCUMENTS_FAILED,
    DOCUMENTS_INDEXED,
    DOCUMENTS_SCANNED,
    JOB_RUNNING,
    JOBS_STARTED,
    KNOWLEDGE_BASE_DIMENSION,
    LATEST_JOB_FAILED,
    IngestionSettings,
)
from kb_ingestion.worker import RUNNING_STATUSES, IngestionWorker, JobReport, SyncResult

logger = Logger()
metrics = Metrics()


def _bedrock_agent_client() -> Any:
    import botocore.session  # lazy: only on a cold start in Lambda, never when the contract is imported
    from botocore.config import Config

    return botocore.session.get_session().create_client(
        "bedrock-agent", config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5,
                                       read_timeout=20))


def build_worker(env: dict[str, str] | None = None, client: Any = None) -> IngestionWorker:
    settings = IngestionSettings.from_env(os.environ if env is None else env)
    return IngestionWorker(client if client is not None else _bedrock_agent_client(), settings)


try:
    WORKER = build_worker()  # cold start: a bad variable fails the init with one clear log line
except ValueError as exc:
    logger.critical("invalid configuration; fix the variable named in 'reason'", extra={"reason": str(exc)})
    raise


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event, WORKER)


def handle(event: dict[str, Any], worker: IngestionWorker) -> dict[str, Any]:
    if "Records" in event:
        result = worker.sync(event["Records"])
        _log_sync(result)
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in result.retry_message_ids]}
    if event.get("detail-type") == "Scheduled Event":
        for report in worker.report():
            _publish(report)
        return {}
    logger.warning("ignored an event that is neither an SQS batch nor the status schedule",
                   extra={"event_source": str(event.get("source"))[:100]})
    return {}


def _log_sync(result: SyncResult) -> None:
    for outcome in result.outcomes:
        logger.info("sync", extra={"knowledge_base": outcome.target.name, "action": outcome.action,
                                   "ingestion_job_id": outcome.job_id, "messages": len(outcome.message_ids)})
        if outcome.action == "started":
            _metric(JOBS_STARTED, 1, outcome.target.name, MetricUnit.Count)
    if result.ignored_message_ids:
        logger.warning("ignored messages that are not S3 object or stack status events",
                       extra={"message_ids": list(result.ignored_message_ids)})


def _publish(report: JobReport) -> None:
    name = report.target.name
    logger.info("latest ingestion job", extra={"knowledge_base": name, "status": report.status,
                                               "statistics": dict(report.statistics)})
    if report.status is None:
        return
    stats = report.statistics
    _metric(LATEST_JOB_FAILED, 1 if report.status == "FAILED" else 0, name, MetricUnit.Count)
    _metric(JOB_RUNNING, 1 if report.status in RUNNING_STATUSES else 0, name, MetricUnit.Count)
    _metric(DOCUMENTS_SCANNED, stats.get("numberOfDocumentsScanned", 0), name, MetricUnit.Count)
    _metric(DOCUMENTS_INDEXED, stats.get("numberOfNewDocumentsIndexed", 0)
            + stats.get("numberOfModifiedDocumentsIndexed", 0), name, MetricUnit.Count)
    _metric(DOCUMENTS_DELETED, stats.get("numberOfDocumentsDeleted", 0), name, MetricUnit.Count)
    _metric(DOCUMENTS_FAILED, stats.get("numberOfDocumentsFailed", 0), name, MetricUnit.Count)


def _metric(name: str, value: float, knowledge_base: str, unit: MetricUnit) -> None:
    # One EMF document per metric, dimensions KnowledgeBase and service (Powertools adds the service name): what
    # the construct's alarm and dashboard read.
    with single_metric(name=name, unit=unit, value=value, namespace=metrics.namespace) as metric:
        metric.add_dimension(name=KNOWLEDGE_BASE_DIMENSION, value=knowledge_base)
