"""The Knowledge stack (dev ships one knowledge base with the sample corpus; staging and prod none): S3 Vectors
storage that matches the embedding model, the knowledge base and data source, a confused-deputy-safe service role,
the ingestion triggers and alarms, and bedrock:Retrieve for the orchestrator on exactly the knowledge base ARN."""

from __future__ import annotations

import json

import pytest

from tests.infra.synth import flat


@pytest.fixture(scope="module")
def knowledge(synthesized):
    return synthesized.stack("dev", "Knowledge")


def only(stack, resource_type):
    resources = stack.resources_of_type(resource_type)
    assert len(resources) == 1, f"{resource_type}: {sorted(resources)}"
    return next(iter(resources.values()))


def test_only_environments_that_configure_knowledge_bases_get_the_stack(synthesized):
    assert {s.environment for s in synthesized.stacks if s.construct_id == "Knowledge"} == {"dev"}


def test_the_index_matches_the_embedding_model_and_keeps_bedrock_keys_non_filterable(knowledge):
    index = only(knowledge, "AWS::S3Vectors::Index")["Properties"]
    assert (index["Dimension"], index["DistanceMetric"], index["DataType"]) == (1024, "cosine", "float32")
    assert set(index["MetadataConfiguration"]["NonFilterableMetadataKeys"]) == {"AMAZON_BEDROCK_TEXT",
                                                                             "AMAZON_BEDROCK_METADATA"}
    bucket = only(knowledge, "AWS::S3Vectors::VectorBucket")["Properties"]
    assert bucket["EncryptionConfiguration"]["SseType"] == "aws:kms"
    kb = only(knowledge, "AWS::Bedrock::KnowledgeBase")["Properties"]
    vector = kb["KnowledgeBaseConfiguration"]["VectorKnowledgeBaseConfiguration"]
    assert vector["EmbeddingModelArn"].endswith("::foundation-model/amazon.titan-embed-text-v2:0")
    assert vector["EmbeddingModelConfiguration"]["BedrockEmbeddingModelConfiguration"]["Dimensions"] == 1024
    assert kb["StorageConfiguration"]["Type"] == "S3_VECTORS"


def test_the_data_source_chunks_as_configured_and_dev_does_not_retain(knowledge):
    source = only(knowledge, "AWS::Bedrock::DataSource")
    chunking = source["Properties"]["VectorIngestionConfiguration"]["ChunkingConfiguration"]
    assert chunking == {"ChunkingStrategy": "FIXED_SIZE",
                        "FixedSizeChunkingConfiguration": {"MaxTokens": 300, "OverlapPercentage": 20}}
    assert source["Properties"]["DataDeletionPolicy"] == "DELETE"
    assert source["DeletionPolicy"] == "Delete"


def test_the_service_role_trusts_bedrock_only_for_this_accounts_knowledge_bases(knowledge):
    roles = [r for r in knowledge.resources_of_type("AWS::IAM::Role").values()
             if "bedrock.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])]
    assert len(roles) == 1
    statement = flat(roles[0]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0])
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "${AWS::AccountId}"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":${AWS::AccountId}:knowledge-base/*")


def test_only_the_knowledge_base_role_may_invoke_the_embedding_model(synthesized):
    holders = []
    for stack in synthesized.stacks:
        for logical_id, policy in stack.resources.items():
            if policy["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                    if "titan-embed" in json.dumps(statement):
                        holders.append((stack.construct_id, logical_id, statement["Action"]))
    assert holders and all(stack == "Knowledge" and "ServiceRole" in lid for stack, lid, _ in holders)
    assert all(action == "bedrock:InvokeModel" for _, _, action in holders)


def test_the_orchestrator_may_retrieve_from_exactly_the_knowledge_base(synthesized):
    api = synthesized.stack("dev", "Api")
    holders = {lid: s for lid, p in api.resources_of_type("AWS::IAM::ManagedPolicy").items()
               for s in p["Properties"]["PolicyDocument"]["Statement"] if "bedrock:Retrieve" in json.dumps(s)}
    # One statement in each function's policy: the buffered routes' and the streamed routes'.
    assert len(holders) == 2 and any(lid.startswith("StreamOrchestrator") for lid in holders)
    for statement in holders.values():
        assert statement["Action"] == "bedrock:Retrieve"
        assert "KnowledgeBaseArn" in json.dumps(statement["Resource"])  # the attribute, never a wildcard
    staging_api = synthesized.stack("staging", "Api")
    assert "bedrock:Retrieve" not in json.dumps(staging_api.template)


def test_ingestion_is_triggered_by_source_changes_and_by_the_stacks_deployment(knowledge):
    patterns = [r["Properties"].get("EventPattern") for r in knowledge.resources_of_type("AWS::Events::Rule").values()]
    sources = {tuple(p["source"]) for p in patterns if p}
    assert sources == {("aws.s3",), ("aws.cloudformation",)}
    deploy = next(p for p in patterns if p and p["source"] == ["aws.cloudformation"])
    assert flat(deploy["detail"]["stack-id"]) == ["${AWS::StackId}"]
    bucket = next(b for lid, b in knowledge.resources_of_type("AWS::S3::Bucket").items() if "Source" in lid)
    assert bucket["Properties"]["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    queue = next(q for lid, q in knowledge.resources_of_type("AWS::SQS::Queue").items() if "SyncRequests" in lid)
    assert queue["Properties"]["DelaySeconds"] == 120  # the debounce
    mapping = only(knowledge, "AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_worker_runs_alone_and_may_only_sync_the_knowledge_base(knowledge):
    functions = {lid: f for lid, f in knowledge.resources_of_type("AWS::Lambda::Function").items() if "Worker" in lid}
    worker = next(iter(functions.values()))["Properties"]
    assert worker["Handler"] == "kb_ingestion.handler.handler"
    assert worker["ReservedConcurrentExecutions"] == 1
    data_sources = json.loads(json.dumps(worker["Environment"]["Variables"]["DATA_SOURCES"]))
    assert "knowledge_base_id" in json.dumps(data_sources)
    statements = [s for lid, p in knowledge.resources_of_type("AWS::IAM::ManagedPolicy").items() if "Worker" in lid
                  for s in p["Properties"]["PolicyDocument"]["Statement"] if "bedrock:" in json.dumps(s["Action"])]
    assert len(statements) == 1
    assert sorted(statements[0]["Action"]) == ["bedrock:ListIngestionJobs", "bedrock:StartIngestionJob"]


def test_a_failed_ingestion_job_alarms_the_environments_topic(knowledge):
    alarms = knowledge.resources_of_type("AWS::CloudWatch::Alarm").values()
    failed = [a["Properties"] for a in alarms if a["Properties"].get("MetricName") == "LatestIngestionJobFailed"]
    assert len(failed) == 1 and failed[0]["Threshold"] == 1
    assert "genai-dev-alerting" in json.dumps(failed[0]["AlarmActions"])


def test_the_sample_corpus_is_deployed_to_dev(knowledge):
    assert knowledge.resources_of_type("Custom::CDKBucketDeployment")
