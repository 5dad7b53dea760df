"""The ingestion worker against botocore's Stubber (moto has no bedrock-agent ingestion jobs): debouncing, at most
one job per data source, retries of busy data sources, status metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import botocore.session
import pytest
from botocore.stub import ANY, Stubber
from kb_ingestion.handler import handle
from kb_ingestion.settings_contract import DataSourceTarget, IngestionSettings
from kb_ingestion.worker import IngestionWorker

DOCS = DataSourceTarget(name="ops", knowledge_base_id="KB12345678", data_source_id="DS12345678",
                        bucket_name="corpus-bucket", prefix="docs/")
OTHER = DataSourceTarget(name="hr", knowledge_base_id="KB87654321", data_source_id="DS87654321",
                         bucket_name="hr-bucket")
SETTINGS = IngestionSettings(data_sources=(DOCS, OTHER))
T0 = datetime(2026, 12, 3, 10, 0, 0, tzinfo=UTC)


def s3_event(key: str, *, bucket: str = "corpus-bucket", time: str = "2026-12-03T10:00:00Z") -> dict:
    return {"source": "aws.s3", "detail-type": "Object Created", "time": time,
            "detail": {"bucket": {"name": bucket}, "object": {"key": key}}}


def deploy_event(time: str = "2026-12-03T10:00:00Z") -> dict:
    return {"source": "aws.cloudformation", "detail-type": "CloudFormation Stack Status Change", "time": time,
            "detail": {"stack-id": "arn:aws:cloudformation:eu-west-1:111122223333:stack/genai-dev-knowledge/x",
                       "status-details": {"status": "UPDATE_COMPLETE"}}}


def records(*events: dict) -> list[dict]:
    return [{"messageId": f"m{index}", "body": json.dumps(event)} for index, event in enumerate(events)]


def job(status: str, started: datetime, job_id: str = "JOB0000001", **statistics: int) -> dict:
    return {"knowledgeBaseId": DOCS.knowledge_base_id, "dataSourceId": DOCS.data_source_id,
            "ingestionJobId": job_id, "status": status, "startedAt": started, "updatedAt": started,
            **({"statistics": statistics} if statistics else {})}


def list_params(target: DataSourceTarget) -> dict:
    return {"knowledgeBaseId": target.knowledge_base_id, "dataSourceId": target.data_source_id,
            "sortBy": {"attribute": "STARTED_AT", "order": "DESCENDING"}, "maxResults": 1}


@pytest.fixture
def stubbed():
    client = botocore.session.get_session().create_client(
        "bedrock-agent", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield IngestionWorker(client, SETTINGS), stubber
        stubber.assert_no_pending_responses()


def expect_start(stubber: Stubber, target: DataSourceTarget = DOCS, job_id: str = "JOBNEW0001") -> None:
    stubber.add_response(
        "start_ingestion_job",
        {"ingestionJob": {"knowledgeBaseId": target.knowledge_base_id, "dataSourceId": target.data_source_id,
                          "ingestionJobId": job_id, "status": "STARTING", "startedAt": T0, "updatedAt": T0}},
        {"knowledgeBaseId": target.knowledge_base_id, "dataSourceId": target.data_source_id,
         "description": ANY},
    )


def test_a_burst_of_object_changes_starts_one_job(stubbed):
    worker, stubber = stubbed
    stubber.add_response("list_ingestion_jobs", {"ingestionJobSummaries": [job("COMPLETE", datetime(2026, 12, 1,
                                                                                                    tzinfo=UTC))]},
                         list_params(DOCS))
    expect_start(stubber)
    response = handle({"Records": records(s3_event("docs/a.md"), s3_event("docs/b.md", time="2026-12-03T10:00:05Z"),
                                          s3_event("docs/c.md"))}, worker)
    assert response == {"batchItemFailures": []}


def test_a_running_job_defers_the_messages_and_starts_nothing(stubbed):
    worker, stubber = stubbed
    stubber.add_response("list_ingestion_jobs", {"ingestionJobSummaries": [job("IN_PROGRESS", datetime(
        2026, 12, 3, 9, 59, tzinfo=UTC))]}, list_params(DOCS))
    response = handle({"Records": records(s3_event("docs/a.md"), s3_event("docs/b.md"))}, worker)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]}


def test_a_job_started_after_the_change_already_covers_it(stubbed):
    worker, stubber = stubbed
    stubber.add_response("list_ingestion_jobs", {"ingestionJobSummaries": [job("IN_PROGRESS", datetime(
        2026, 12, 3, 10, 0, 30, tzinfo=UTC))]}, list_params(DOCS))
    assert handle({"Records": records(s3_event("docs/a.md"))}, worker) == {"batchItemFailures": []}


def test_a_conflict_from_a_concurrent_start_is_retried_not_raised(stubbed):
    worker, stubber = stubbed
    stubber.add_response("list_ingestion_jobs", {"ingestionJobSummaries": []}, list_params(DOCS))
    stubber.add_client_error("start_ingestion_job", "ConflictException", "a job is already running", 409)
    assert handle({"Records": records(s3_event("docs/a.md"))}, worker) == {
        "batchItemFailures": [{"itemIdentifier": "m0"}]}


def test_access_denied_is_raised_so_the_batch_fails_loudly(stubbed):
    worker, stubber = stubbed
    stubber.add_response("list_ingestion_jobs", {"ingestionJobSummaries": []}, list_params(DOCS))
    stubber.add_client_error("start_ingestion_job", "AccessDeniedException", "no", 403)
    with pytest.raises(Exception, match="AccessDenied"):
        handle({"Records": records(s3_event("docs/a.md"))}, worker)


def test_objects_outside_the_prefix_or_bucket_start_nothing(stubbed):
    worker, _ = stubbed
    response = handle({"Records": records(s3_event("other/a.md"), s3_event("docs/a.md", bucket="elsewhere"))},
                      worker)
    assert response == {"batchItemFailures": []}


def test_a_deployment_syncs_every_data_source(stubbed):
    worker, stubber = stubbed
    stubber.add_response("list_ingestion_jobs", {"ingestionJobSummaries": []}, list_params(DOCS))
    expect_start(stubber, DOCS)
    stubber.add_response("list_ingestion_jobs", {"ingestionJobSummaries": []}, list_params(OTHER))
    expect_start(stubber, OTHER, "JOBNEW0002")
    assert handle({"Records": records(deploy_event())}, worker) == {"batchItemFailures": []}


def test_unreadable_or_foreign_messages_are_dropped_not_retried(stubbed):
    worker, _ = stubbed
    bad = [{"messageId": "junk", "body": "not json"},
           {"messageId": "foreign", "body": json.dumps({"source": "aws.ec2", "time": "2026-12-03T10:00:00Z"})}]
    assert handle({"Records": bad}, worker) == {"batchItemFailures": []}


def test_the_schedule_publishes_status_and_document_counts(stubbed, capsys):
    worker, stubber = stubbed
    stubber.add_response("list_ingestion_jobs", {"ingestionJobSummaries": [job(
        "FAILED", T0, numberOfDocumentsScanned=4, numberOfNewDocumentsIndexed=3, numberOfModifiedDocumentsIndexed=0,
        numberOfDocumentsFailed=1, numberOfDocumentsDeleted=0)]}, list_params(DOCS))
    stubber.add_response("list_ingestion_jobs", {"ingestionJobSummaries": []}, list_params(OTHER))
    handle({"detail-type": "Scheduled Event", "source": "aws.events"}, worker)
    emitted = {}
    for line in capsys.readouterr().out.splitlines():
        document = json.loads(line)
        if "_aws" in document:
            name = document["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]
            emitted[name] = (document["KnowledgeBase"], document[name])
    assert emitted["LatestIngestionJobFailed"] == ("ops", [1.0])
    assert emitted["DocumentsScanned"] == ("ops", [4.0])
    assert emitted["DocumentsIndexed"] == ("ops", [3.0])
    assert emitted["DocumentsFailed"] == ("ops", [1.0])
    assert all(kb == "ops" for kb, _ in emitted.values())  # no job yet for "hr": nothing published


def test_settings_round_trip_and_reject_an_empty_list():
    assert IngestionSettings.from_env(SETTINGS.to_env()) == SETTINGS
    with pytest.raises(ValueError, match="DATA_SOURCES"):
        IngestionSettings.from_env({"DATA_SOURCES": "[]"})
    with pytest.raises(ValueError, match="DATA_SOURCES"):
        IngestionSettings.from_env({})
