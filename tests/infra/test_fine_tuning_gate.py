"""The fine-tuning gate in the Trainium pipeline's state machine: the training job captures the script's metric
line, the metrics are written to S3 as the package's model-quality statistics, and a Choice registers the model
PendingManualApproval only when its held-out perplexity is at most the baseline; otherwise (or with no metric:
fails closed) Rejected with the reason."""

from __future__ import annotations

import re

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from cdk.components.trainium_training import ApprovalGate
from tests.infra.test_sagemaker import _pipeline, definition, policy_statements
from training.neuron_finetune.metrics import metric_line


@pytest.fixture(scope="module")
def template():
    stack = Stack(App(), "Gate")
    _pipeline(stack, approval_gate=ApprovalGate(max_perplexity=8.5))
    return Template.from_stack(stack).to_json()


@pytest.fixture(scope="module")
def states(template):
    return definition(template)["States"]


def test_the_training_job_captures_the_scripts_metric_line(states):
    definitions = states["Train"]["Parameters"]["AlgorithmSpecification"]["MetricDefinitions"]
    line = metric_line(1.25)
    captured = {d["Name"]: float(re.search(d["Regex"], line).group(1)) for d in definitions}
    assert captured == {"eval_loss": 1.25, "perplexity": pytest.approx(3.49034)}


def test_metrics_are_read_after_export_and_written_as_a_json_document(states):
    assert states["Export"]["Next"] == "DescribeTrainingJob"
    describe = states["DescribeTrainingJob"]
    assert describe["Resource"] == "arn:${AWS::Partition}:states:::aws-sdk:sagemaker:describeTrainingJob"
    assert describe["Parameters"] == {"TrainingJobName.$": "$.training.TrainingJobName"}
    read = states["ReadMetrics"]
    assert read["QueryLanguage"] == "JSONata" and "FinalMetricDataList" in read["Output"]
    assert "'max_perplexity': 8.5" in read["Output"]
    write = states["WriteMetrics"]
    assert write["Resource"] == "arn:${AWS::Partition}:states:::aws-sdk:s3:putObject"
    params = write["Parameters"]
    assert params["Body.$"] == "States.JsonToString($.metrics)"
    assert params["Key.$"] == "States.Format('model-metrics/{}/statistics.json', $$.Execution.Name)"
    assert params["ContentType"] == "application/json"
    assert write["ResultPath"] is None and write["Next"] == "PerplexityGate?"
    for name in ("DescribeTrainingJob", "WriteMetrics"):
        assert states[name]["Catch"][0]["Next"] == "NotifyFailed"


def test_the_choice_fails_closed_then_compares_with_the_baseline(states):
    choice = states["PerplexityGate?"]
    missing, passed = choice["Choices"]
    assert missing == {"Not": {"Variable": "$.metrics.perplexity", "IsNumeric": True}, "Next": "RejectNoMetric"}
    assert passed == {"Variable": "$.metrics.perplexity", "NumericLessThanEquals": 8.5, "Next": "PassGate"}
    assert choice["Default"] == "RejectOverBaseline"


@pytest.mark.parametrize("state, status, reason", [
    ("PassGate", "PendingManualApproval", "is at most the baseline 8.5"),
    ("RejectOverBaseline", "Rejected", "exceeds the baseline 8.5"),
    ("RejectNoMetric", "Rejected", "reported no held-out perplexity (fails closed"),
])
def test_each_branch_sets_the_status_and_a_reason_then_registers(states, state, status, reason):
    decided = states[state]
    assert decided["ResultPath"] == "$.gate" and decided["Next"] == "Register"
    assert decided["Parameters"]["status"] == status
    text = decided["Parameters"].get("reason.$") or decided["Parameters"]["reason"]
    assert reason in text
    if state != "RejectNoMetric":  # measured vs baseline
        assert "held-out perplexity {} (eval loss {})" in text
        assert text.endswith("$.metrics.perplexity, $.metrics.eval_loss)")


def test_registration_carries_the_decision_the_reason_and_the_metrics(states):
    params = states["Register"]["Parameters"]
    assert params["ModelApprovalStatus.$"] == "$.gate.status"
    assert params["ModelPackageDescription.$"].startswith("States.Format('{} Fine-tuned on {} x {}")
    assert "$.gate.reason" in params["ModelPackageDescription.$"]
    assert params["CustomerMetadataProperties"]["GateDecision.$"] == "$.gate.status"
    statistics = params["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["ContentType"] == "application/json"
    assert re.fullmatch(r"States\.Format\('s3://\{\}/\{\}', '\$\{\w+\}', "
                        r"States\.Format\('model-metrics/\{\}/statistics\.json', \$\$\.Execution\.Name\)\)",
                        statistics["S3Uri.$"])


def test_the_state_machine_may_write_only_the_metrics_prefix(template):
    writes = [s for s in policy_statements(template) if "model-metrics" in str(s["Resource"])]
    assert [(s["Action"], s["Resource"]) for s in writes] == [
        ("s3:PutObject", "${FineTuneArtifactsBucketB9D7BD3C.Arn}/model-metrics/*")]


def test_a_baseline_below_one_is_refused():
    with pytest.raises(ValueError, match="max_perplexity must be >= 1"):
        ApprovalGate(max_perplexity=0.5)

