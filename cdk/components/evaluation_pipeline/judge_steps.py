"""The judge branch of the evaluation state machine: one Bedrock model evaluation job per candidate model over its
bring-your-own responses, polled until it ends. Every outcome becomes ``{"model", "job_arn", "status"}``; anything
but ``Completed`` (a refused create, a failed, stopped or timed-out job) fails the gate (fails closed).

Verified against botocore 1.44.8 (bedrock service-2): ``CreateEvaluationJob`` requires jobName, roleArn,
evaluationConfig, inferenceConfig, outputDataConfig; ``inferenceConfig.models[].precomputedInferenceSource
.inferenceSourceIdentifier`` names bring-your-own responses; ``GetEvaluationJob`` (``jobIdentifier``) returns
``status`` in InProgress | Completed | Failed | Stopping | Stopped | Deleting. Step Functions' AWS SDK integration
takes the members PascalCased (``arn:aws:states:::aws-sdk:bedrock:createEvaluationJob``).
Unverified here (no AWS account): ``taskType`` "General" for LLM-as-a-judge jobs follows the Bedrock user guide's
examples; botocore's enum lists only Summarization, Classification, QuestionAndAnswer, Generation and Custom.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from cdk.components.evaluation_pipeline.props import JudgeProps

JUDGE_TASK_TYPE = "General"


def judge_model_arn(scope: Construct, judge: JudgeProps) -> str:
    stack = Stack.of(scope)
    if judge.inference_profile:
        return stack.format_arn(service="bedrock", resource="inference-profile", resource_name=judge.model_id)
    return stack.format_arn(service="bedrock", account="", resource="foundation-model",
                            resource_name=judge.foundation_model_id)


def judge_map(scope: Construct, *, judge: JudgeProps, evaluation_role: iam.IRole, key: kms.IKey) -> sfn.Map:
    """An inline Map over ``$.scored.judge_inputs`` whose result (a list of outcomes) lands in ``$.judge_jobs``."""
    stack = Stack.of(scope)
    jobs_arn = stack.format_arn(service="bedrock", resource="evaluation-job", resource_name="*")

    create = tasks.CallAwsService(
        scope, "CreateJudgeJob",
        service="bedrock", action="createEvaluationJob",
        iam_resources=[jobs_arn],
        additional_iam_statements=[iam.PolicyStatement(
            actions=["iam:PassRole"], resources=[evaluation_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
        )],
        parameters={
            "JobName.$": "$.job_name",
            "RoleArn": evaluation_role.role_arn,
            "ApplicationType": "ModelEvaluation",
            "CustomerEncryptionKeyId": key.key_arn,
            "EvaluationConfig": {"Automated": {
                "DatasetMetricConfigs": [{
                    "TaskType": JUDGE_TASK_TYPE,
                    "Dataset": {"Name": "orchestrator-responses", "DatasetLocation": {"S3Uri.$": "$.dataset_uri"}},
                    "MetricNames": list(judge.metrics),
                }],
                "EvaluatorModelConfig": {"BedrockEvaluatorModels": [{"ModelIdentifier": judge_model_arn(scope, judge)}]},
            }},
            "InferenceConfig": {"Models": [{"PrecomputedInferenceSource": {
                "InferenceSourceIdentifier.$": "$.source_identifier"}}]},
            "OutputDataConfig": {"S3Uri.$": "$.output_uri"},
        },
        result_selector={"job_arn.$": "$.JobArn"},
        result_path="$.job",
    )
    create.add_retry(errors=["Bedrock.ThrottlingException", "Bedrock.InternalServerException"],
                     interval=Duration.seconds(10), max_attempts=3, backoff_rate=2)
    not_started = sfn.Pass(scope, "JudgeNotStarted",
                           parameters={"model.$": "$.model", "job_arn": None, "status": "Failed"})
    create.add_catch(not_started, errors=["States.ALL"], result_path="$.error")

    poll = tasks.CallAwsService(
        scope, "GetJudgeJob",
        service="bedrock", action="getEvaluationJob",
        iam_resources=[jobs_arn],
        parameters={"JobIdentifier.$": "$.job.job_arn"},
        result_selector={"status.$": "$.Status"},
        result_path="$.state",
    )
    poll.add_retry(errors=["Bedrock.ThrottlingException", "Bedrock.InternalServerException"],
                   interval=Duration.seconds(10), max_attempts=5, backoff_rate=2)
    lost = sfn.Pass(scope, "JudgeStatusUnknown",
                    parameters={"model.$": "$.model", "job_arn.$": "$.job.job_arn", "status": "Failed"})
    poll.add_catch(lost, errors=["States.ALL"], result_path="$.error")

    wait = sfn.Wait(scope, "WaitForJudge", time=sfn.WaitTime.duration(Duration.seconds(judge.poll_seconds)))
    count = sfn.Pass(scope, "CountPoll", parameters={"count.$": "States.MathAdd($.polls.count, 1)"},
                     result_path="$.polls")
    done = sfn.Pass(scope, "JudgeCompleted",
                    parameters={"model.$": "$.model", "job_arn.$": "$.job.job_arn", "status": "Completed"})
    timed_out = sfn.Pass(scope, "JudgeTimedOut",
                         parameters={"model.$": "$.model", "job_arn.$": "$.job.job_arn", "status": "TimedOut"})
    ended = sfn.Pass(scope, "JudgeEnded",
                     parameters={"model.$": "$.model", "job_arn.$": "$.job.job_arn", "status.$": "$.state.status"})
    status = sfn.Choice(scope, "JudgeStatus")
    status.when(sfn.Condition.string_equals("$.state.status", "Completed"), done)
    status.when(sfn.Condition.and_(sfn.Condition.string_equals("$.state.status", "InProgress"),
                                   sfn.Condition.number_less_than("$.polls.count", judge.max_polls)), wait)
    status.when(sfn.Condition.string_equals("$.state.status", "InProgress"), timed_out)
    status.otherwise(ended)

    start_count = sfn.Pass(scope, "StartPolling", result=sfn.Result.from_object({"count": 0}), result_path="$.polls")
    chain = create.next(start_count).next(wait).next(poll).next(count).next(status)
    runs = sfn.Map(scope, "Judge", items_path="$.scored.judge_inputs", max_concurrency=2, result_path="$.judge_jobs")
    runs.item_processor(chain)
    return runs
