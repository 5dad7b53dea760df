"""The evaluation pipeline component (its docstring example runs in tests/infra/test_component_examples.py): the
state machine definition (states, retries, concurrency, failure paths, the judge loop) and its roles."""

from __future__ import annotations

import itertools
import json

import pytest

from cdk.components.evaluation_pipeline import EvaluationPipeline, EvaluationPipelineProps, JudgeProps

JUDGE = JudgeProps(model_id="eu.anthropic.claude-haiku-4-5-20251001-v1:0",
                   foundation_model_id="anthropic.claude-haiku-4-5-20251001-v1:0", inference_profile=True,
                   destination_regions=("eu-west-1", "eu-central-1"), poll_seconds=120, max_polls=10)


def _definition(template: dict) -> dict:
    [machine] = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    body = machine["Properties"]["DefinitionString"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return json.loads("".join(p if isinstance(p, str) else "TOKEN" for p in parts))


@pytest.fixture(scope="module")
def synthesized() -> tuple[dict, dict]:
    """(template, definition) of a judged pipeline on a bare stack with the AwsSolutions pack."""
    from aws_cdk import App, RemovalPolicy, Stack, Validations
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_logs as logs
    from cdk_nag import AwsSolutionsChecks

    app = App()
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = Stack(app, "Judged")
    orchestrator = lambda_.Function.from_function_arn(
        stack, "Orchestrator", "arn:aws:lambda:eu-west-1:123456789012:function:genai-staging-orchestrator")
    EvaluationPipeline(stack, "Evaluation", orchestrator=orchestrator, environment_name="staging",
                       props=EvaluationPipelineProps(models=("m1", "m2"), gate_json="{}", max_concurrency=6, judge=JUDGE),
                       log_retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.RETAIN)
    template = app.synth().get_stack_by_name("Judged").template  # raises on an unacknowledged finding
    return template, _definition(template)


def test_the_states_run_in_order_and_end_on_the_gate(synthesized):
    _, definition = synthesized
    states = definition["States"]
    assert definition["StartAt"] == "Prepare"
    order = ["Prepare", "InvokeEachItem", "Score", "Judge", "Finalize", "GatePassed"]
    for current, following in itertools.pairwise(order):
        assert states[current]["Next"] == following
    assert states["GatePassed"]["Choices"][0]["Next"] == "Accepted"
    assert states["GatePassed"]["Default"] == "GateFailed"
    assert states["GateFailed"] == {"Type": "Fail", "Error": "EvaluationGateFailed",
                                    "CausePath": "States.Format('Release gate failed; report {}', $.verdict.report)"}


def test_every_item_x_model_goes_through_a_bounded_distributed_map(synthesized):
    _, definition = synthesized
    items = definition["States"]["InvokeEachItem"]
    assert items["MaxConcurrency"] == 6
    assert items["ToleratedFailurePercentage"] == 100  # a failed item is scored as a failure, the run goes on
    assert items["ItemReader"]["Resource"].endswith(":states:::s3:getObject")
    assert items["ItemReader"]["ReaderConfig"]["InputType"] == "JSONL"
    assert items["ItemReader"]["Parameters"]["Key.$"] == "$.prepared.work_key"
    assert items["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}
    assert "ResultWriter" in items
    invoke = items["ItemProcessor"]["States"]["InvokeOrchestrator"]
    assert invoke["Parameters"]["Payload.$"] == "$.event"  # the API Gateway proxy event prepared by the worker
    [retry] = invoke["Retry"]
    assert "Lambda.TooManyRequestsException" in retry["ErrorEquals"]
    assert (retry["MaxAttempts"], retry["BackoffRate"], retry["JitterStrategy"]) == (6, 2, "FULL")


def test_failing_steps_end_in_evaluation_failed(synthesized):
    _, definition = synthesized
    states = definition["States"]
    for name in ("Prepare", "InvokeEachItem", "Score", "Judge", "Finalize"):
        assert states[name]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                                          "Next": "EvaluationFailed"}], name
    for name in ("Prepare", "Score", "Finalize"):
        assert states[name]["Retry"][0]["ErrorEquals"][0] == "Lambda.TooManyRequestsException"
    assert states["EvaluationFailed"]["Type"] == "Fail"


def test_the_judge_starts_one_bedrock_job_per_model_and_polls_it(synthesized):
    _, definition = synthesized
    judge = definition["States"]["Judge"]
    assert judge["ItemsPath"] == "$.scored.judge_inputs" and judge["MaxConcurrency"] == 2
    states = judge["ItemProcessor"]["States"]
    create = states["CreateJudgeJob"]
    assert create["Resource"].endswith(":states:::aws-sdk:bedrock:createEvaluationJob")
    config = create["Parameters"]["EvaluationConfig"]["Automated"]
    assert config["DatasetMetricConfigs"][0]["MetricNames"] == list(JUDGE.metrics)
    assert config["DatasetMetricConfigs"][0]["Dataset"]["DatasetLocation"] == {"S3Uri.$": "$.dataset_uri"}
    assert create["Parameters"]["InferenceConfig"] == {
        "Models": [{"PrecomputedInferenceSource": {"InferenceSourceIdentifier.$": "$.source_identifier"}}]}
    assert create["Catch"][0]["Next"] == "JudgeNotStarted"  # a refused job is a failed judge (fails closed)
    assert states["WaitForJudge"]["Seconds"] == 120
    assert states["GetJudgeJob"]["Resource"].endswith(":states:::aws-sdk:bedrock:getEvaluationJob")
    choices = states["JudgeStatus"]["Choices"]
    assert choices[0]["Next"] == "JudgeCompleted"
    assert choices[1]["Next"] == "WaitForJudge"
    assert choices[1]["And"][1] == {"Variable": "$.polls.count", "NumericLessThan": 10}
    assert choices[2]["Next"] == "JudgeTimedOut" and states["JudgeStatus"]["Default"] == "JudgeEnded"


def _policies(template: dict) -> list[dict]:
    return [r["Properties"] for r in template["Resources"].values()
            if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role")]


def test_the_judge_role_trusts_bedrock_for_this_account_only_and_reads_only_judge_data(synthesized):
    template, _ = synthesized
    [role] = [r["Properties"] for r in template["Resources"].values()
              if r["Type"] == "AWS::IAM::Role" and "bedrock.amazonaws.com" in json.dumps(r["Properties"])]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert set(trust["Condition"]) == {"StringEquals", "ArnLike"}
    assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]
    [policy] = [p for p in _policies(template) if "bedrock:InvokeModel" in json.dumps(p)]
    text = json.dumps(policy)
    assert "/runs/*/judge/*" in text and "/runs/*/judge-output/*" in text
    assert "inference-profile/eu.anthropic.claude-haiku-4-5-20251001-v1:0" in text
    assert text.count("foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0") == 2  # its destination Regions


def test_no_policy_grants_a_wildcard_action(synthesized):
    template, _ = synthesized
    for properties in _policies(template):
        for statement in (properties.get("PolicyDocument") or {}).get("Statement", ()):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" not in action for action in actions), statement
