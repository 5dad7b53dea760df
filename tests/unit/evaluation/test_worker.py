"""The evaluation worker Lambda's three steps against S3 (moto): prepare -> (Distributed Map results) -> score ->
finalize, the gate's verdict and the judge failing closed."""

from __future__ import annotations

import importlib
import json
import sys

import pytest
from evaluation_metrics import gate, requests

BUCKET = "genai-staging-evaluation"
ITEMS = [
    {"id": "a-1", "use_case": "answer", "input": "Capital of Peru?", "references": ["Lima"], "tags": ["es"]},
    {"id": "a-2", "use_case": "answer", "input": "My dog's name?", "references": ["I don't know"], "tags": ["unanswerable"]},
]


@pytest.fixture
def worker(monkeypatch):
    from moto import mock_aws

    settings = gate.GateSettings(thresholds={"answer": {"token_f1": 0.9}})
    env = {"REPORT_BUCKET": BUCKET, "ENVIRONMENT_NAME": "staging", "EVALUATION_METRICS_NAMESPACE": "GenAiStack/Evaluation",
           "GATE": settings.to_json(), "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "eu-west-1"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        import botocore.session

        s3 = botocore.session.get_session().create_client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_object(Bucket=BUCKET, Key="datasets/answer.jsonl", Body="\n".join(json.dumps(i) for i in ITEMS).encode())
        sys.modules.pop("evaluation_worker", None)
        module = importlib.import_module("evaluation_worker")
        module._S3 = s3
        yield module, s3


def _body(output: str) -> str:
    return json.dumps({"output": output, "model": "m1", "latency_ms": 100, "usage": {"input_tokens": 5, "output_tokens": 1},
                       "estimated_cost_usd": 0.0001, "safety": {"output": {"pii": {"masked_count": 0}}}})


def _simulate_map(s3, work_key: str, outputs: dict[str, str]) -> dict:
    """What the Distributed Map's ResultWriter leaves: a manifest and result files of child executions."""
    lines = s3.get_object(Bucket=BUCKET, Key=work_key)["Body"].read().decode().splitlines()
    succeeded, failed = [], []
    for line in lines:
        prepared = json.loads(line)
        output = outputs.get(prepared["item"]["id"])
        if output is None:
            failed.append({"Input": line, "Status": "FAILED", "Error": "Lambda.TooManyRequestsException"})
        else:
            succeeded.append({"Input": line, "Status": "SUCCEEDED",
                              "Output": json.dumps({"statusCode": 200, "body": _body(output)})})
    s3.put_object(Bucket=BUCKET, Key="map-results/run/SUCCEEDED_0.json", Body=json.dumps(succeeded).encode())
    s3.put_object(Bucket=BUCKET, Key="map-results/run/FAILED_0.json", Body=json.dumps(failed).encode())
    manifest = {"DestinationBucket": BUCKET, "ResultFiles": {
        "SUCCEEDED": [{"Key": "map-results/run/SUCCEEDED_0.json"}], "FAILED": [{"Key": "map-results/run/FAILED_0.json"}]}}
    s3.put_object(Bucket=BUCKET, Key="map-results/run/manifest.json", Body=json.dumps(manifest).encode())
    return {"MapRunArn": "arn:aws:states:eu-west-1:123456789012:mapRun:x", "ResultWriterDetails": {
        "Bucket": BUCKET, "Key": "map-results/run/manifest.json"}}


def _run(worker, outputs, *, judge_jobs=None):
    module, s3 = worker
    prepared = module.handler({"step": "prepare", "run_id": "Run 1", "input": {"dataset_key": "datasets/answer.jsonl"},
                               "default_models": ["m1"]}, None)
    map_result = _simulate_map(s3, prepared["work_key"], outputs)
    scored = module.handler({"step": "score", "run_id": "Run 1", "dataset_key": prepared["dataset_key"],
                             "map_result": map_result, "judge": judge_jobs is not None}, None)
    verdict = module.handler({"step": "finalize", "report_key": scored["report_key"], "judge_jobs": judge_jobs or []}, None)
    return prepared, scored, verdict


def test_prepare_writes_one_proxy_event_per_item_and_model(worker):
    module, s3 = worker
    prepared = module.handler({"step": "prepare", "run_id": "Run 1", "input": {"dataset_key": "datasets/answer.jsonl",
                                                                              "models": ["m1", "m2"]},
                               "default_models": ["m0"]}, None)
    assert prepared == {"work_key": "runs/Run-1/work.jsonl", "dataset_key": "datasets/answer.jsonl",
                        "models": ["m1", "m2"], "items": 2, "requests": 4}
    lines = [json.loads(x) for x in s3.get_object(Bucket=BUCKET, Key=prepared["work_key"])["Body"].read().splitlines()]
    assert [(line["item"]["id"], line["model"]) for line in lines] == [("a-1", "m1"), ("a-1", "m2"), ("a-2", "m1"),
                                                                         ("a-2", "m2")]
    assert json.loads(lines[0]["event"]["body"]) == requests.api_request(ITEMS[0], "m1")[1]


def test_prepare_refuses_a_key_outside_datasets(worker):
    module, _ = worker
    with pytest.raises(ValueError, match="dataset_key"):
        module.handler({"step": "prepare", "run_id": "r", "input": {"dataset_key": "accepted/report.json"},
                        "default_models": ["m1"]}, None)


def test_a_passing_run_writes_reports_emits_metrics_and_becomes_the_accepted_baseline(worker, capsys):
    _, s3 = worker
    _, _scored, verdict = _run(worker, {"a-1": "Lima", "a-2": "I don't know."})
    assert verdict == {"passed": True, "failures": [], "report": f"s3://{BUCKET}/runs/Run-1/report.json"}
    report = json.loads(s3.get_object(Bucket=BUCKET, Key="runs/Run-1/report.json")["Body"].read())
    assert report["run"]["source"] == "lambda" and report["gate"]["passed"]
    assert s3.get_object(Bucket=BUCKET, Key="runs/Run-1/report.md")["Body"].read().startswith(b"# Evaluation report")
    assert json.loads(s3.get_object(Bucket=BUCKET, Key="accepted/report.json")["Body"].read())["run"]["id"] == "Run 1"
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert emf and emf[0]["UseCase"] == "answer" and emf[0]["Model"] == "m1" and emf[0]["token_f1"] == 1.0
    assert emf[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Environment", "UseCase", "Model"]]


def test_a_failed_invocation_scores_zero_and_fails_the_gate_without_replacing_the_baseline(worker):
    _, s3 = worker
    _, _, verdict = _run(worker, {"a-2": "I don't know"})
    assert not verdict["passed"]
    assert verdict["failures"] == ["answer x m1: token_f1 0.500 < threshold 0.9"]
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=BUCKET, Key="accepted/report.json")


def test_score_writes_one_judge_dataset_per_model_in_the_bring_your_own_responses_format(worker):
    _, s3 = worker
    _, scored, _ = _run(worker, {"a-1": "Lima", "a-2": "I don't know"}, judge_jobs=[])
    [judge_input] = scored["judge_inputs"]
    assert judge_input["source_identifier"] == "m1" and judge_input["dataset_uri"].endswith("/judge/m1.jsonl")
    assert len(judge_input["job_name"]) <= 63
    line = json.loads(s3.get_object(Bucket=BUCKET, Key="runs/Run-1/judge/m1.jsonl")["Body"].read().splitlines()[0])
    assert line == {"prompt": "Capital of Peru?", "referenceResponse": "Lima", "category": "answer",
                    "modelResponses": [{"response": "Lima", "modelIdentifier": "m1"}]}


@pytest.mark.parametrize("jobs", [[], [{"model": "m1", "job_arn": None, "status": "Failed"}],
                                  [{"model": "m1", "job_arn": "arn:x", "status": "TimedOut"}]])
def test_a_requested_judge_that_does_not_complete_fails_the_gate(worker, jobs):
    _, _, verdict = _run(worker, {"a-1": "Lima", "a-2": "I don't know"}, judge_jobs=jobs)
    assert not verdict["passed"] and "fails closed" in verdict["failures"][0]


def test_a_completed_judge_passes(worker):
    _, _, verdict = _run(worker, {"a-1": "Lima", "a-2": "I don't know"},
                         judge_jobs=[{"model": "m1", "job_arn": "arn:x", "status": "Completed"}])
    assert verdict["passed"]
