"""The fine-tuning gate of :class:`TrainiumTrainingPipeline` (a mixin): read the training job's held-out metrics,
write them to S3 as the model package's quality statistics, and decide the package's approval status.

Flow::

    DescribeTrainingJob -> ReadMetrics -> WriteMetrics -> PerplexityGate?
        perplexity is not a number (no metric, job logged none)  -> RejectNoMetric     (Rejected, fails closed)
        perplexity <= max_perplexity                             -> PassGate           (PendingManualApproval)
        otherwise                                                -> RejectOverBaseline (Rejected, measured vs baseline)
    -> Register (reads $.gate.status and $.gate.reason)

Verified in botocore's SageMaker model (.venv, 2017-07-24): ``DescribeTrainingJob``'s ``FinalMetricDataList``
(``MetricName``/``Value``) is optional, so ReadMetrics is a JSONata Pass that turns an absent list or metric into
null rather than a JSONPath that would fail on it (the expression was run with the jsonata 2.2.2 npm library on a
list with both metrics, one, none, and no list: missing values come out null); ``MetricsSource`` needs ``ContentType``
and ``S3Uri``;
``CustomerMetadataValue`` allows letters, digits, spaces and ``_.:/=+-@`` only, so the reason (with commas) goes to
``ModelPackageDescription`` (up to 1,024 characters). Not verified on a real account: that SageMaker reads the
statistics object only when someone views it (the registry, with the viewer's credentials), not at registration.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from cdk.components.least_privilege import allow_kms, nag_resource_finding
from cdk.components.trainium_training.props import ApprovalGate
from cdk.policy import acknowledge
from training.neuron_finetune.metrics import EVAL_LOSS, METRIC_DEFINITIONS, PERPLEXITY

METRICS_PREFIX = "model-metrics/"
PENDING, REJECTED = "PendingManualApproval", "Rejected"


def metric_definitions() -> list[dict[str, str]]:
    """``AlgorithmSpecification.MetricDefinitions`` of the training job: the training script's metric line."""
    return [{"Name": name, "Regex": regex} for name, regex in METRIC_DEFINITIONS]


def read_metrics_expression(max_perplexity: float) -> str:
    """JSONata: the state's input without the job description, plus ``metrics`` (a missing value is null)."""
    return ("{% ($final := $states.input.trainingJob.FinalMetricDataList; "
            "$value := function($name) { ($v := $final[MetricName = $name].Value; "
            "$type($v) = 'number' ? $v : null) }; "
            "$merge([$sift($states.input, function($v, $k) { $k != 'trainingJob' }), "
            f"{{'metrics': {{'{EVAL_LOSS}': $value('{EVAL_LOSS}'), '{PERPLEXITY}': $value('{PERPLEXITY}'), "
            f"'max_{PERPLEXITY}': {max_perplexity!r}}}}}])) %}}")


def _metrics_key() -> str:
    return sfn.JsonPath.format(f"{METRICS_PREFIX}{{}}/statistics.json", sfn.JsonPath.execution_name)


class GateStates:
    """Mixed into :class:`TrainiumTrainingPipeline`; uses its role, artifacts bucket, key and job-name prefix."""

    def _metrics_uri(self) -> str:
        """The statistics document's S3 URI (one per execution), for ``ModelMetrics``."""
        return sfn.JsonPath.format("s3://{}/{}", self.artifacts_bucket.bucket_name, _metrics_key())

    def _gate_states(self, stack: Stack, gate: ApprovalGate, register: sfn.IChainable,
                     notify_failed: sfn.IChainable) -> sfn.Chain:
        jobs = stack.format_arn(service="sagemaker", resource="training-job",
                                resource_name=f"{self.training_job_name_prefix}-*")
        describe = tasks.CallAwsService(
            self, "DescribeTrainingJob", service="sagemaker", action="describeTrainingJob",
            iam_action="sagemaker:DescribeTrainingJob", iam_resources=[jobs],
            parameters={"TrainingJobName": sfn.JsonPath.string_at("$.training.TrainingJobName")},
            result_path="$.trainingJob",
        )
        read = sfn.Pass.jsonata(self, "ReadMetrics", outputs=read_metrics_expression(gate.max_perplexity))
        # The statistics document ModelMetrics.ModelQuality.Statistics points at (SageMaker takes metrics only as an
        # S3 object). Bucket and key prefix are this pipeline's; the state machine may write nothing else there.
        write = tasks.CallAwsService(
            self, "WriteMetrics", service="s3", action="putObject", iam_action="s3:PutObject",
            iam_resources=[self.artifacts_bucket.arn_for_objects(f"{METRICS_PREFIX}*")],
            parameters={
                "Bucket": self.artifacts_bucket.bucket_name,
                "Key": _metrics_key(),
                "Body": sfn.JsonPath.json_to_string(sfn.JsonPath.object_at("$.metrics")),
                "ContentType": "application/json",
            },
            result_path=sfn.JsonPath.DISCARD,
        )
        allow_kms(self.state_machine_role, [self.key.key_arn], via_service=f"s3.{stack.region}.{stack.url_suffix}")
        for task in (describe, write):
            task.add_retry(errors=[sfn.Errors.TASKS_FAILED], interval=Duration.seconds(5), backoff_rate=2, max_attempts=3)
            task.add_catch(notify_failed, errors=[sfn.Errors.ALL], result_path="$.error")
        acknowledge(self.state_machine_role.policy, "AwsSolutions-IAM5",
                    "each execution writes its model-quality statistics to model-metrics/<execution name>/ in this "
                    "pipeline's own artifacts bucket; the execution name is chosen at start",
                    findings=[nag_resource_finding(self, self.artifacts_bucket.arn_for_objects(f"{METRICS_PREFIX}*"))])

        def reason(template: str) -> str:
            return sfn.JsonPath.format(template, sfn.JsonPath.string_at("$.metrics.perplexity"),
                                       sfn.JsonPath.string_at("$.metrics.eval_loss"))

        baseline = f"{gate.max_perplexity:g}"
        passed = sfn.Pass(self, "PassGate", parameters={
            "status": PENDING,
            "reason": reason(f"Gate passed: held-out perplexity {{}} (eval loss {{}}) is at most the baseline {baseline}"),
        }, result_path="$.gate")
        over = sfn.Pass(self, "RejectOverBaseline", parameters={
            "status": REJECTED,
            "reason": reason(f"Rejected by the gate: held-out perplexity {{}} (eval loss {{}}) exceeds the baseline "
                             f"{baseline}"),
        }, result_path="$.gate")
        missing = sfn.Pass(self, "RejectNoMetric", parameters={
            "status": REJECTED,
            "reason": "Rejected by the gate: the training job reported no held-out perplexity (fails closed; see "
                      "the job log's 'gate metrics' line)",
        }, result_path="$.gate")
        choice = (sfn.Choice(self, "PerplexityGate?")
                  .when(sfn.Condition.not_(sfn.Condition.is_numeric("$.metrics.perplexity")), missing)
                  .when(sfn.Condition.number_less_than_equals("$.metrics.perplexity", gate.max_perplexity), passed)
                  .otherwise(over))
        for decided in (missing, passed, over):
            decided.next(register)
        return describe.next(read).next(write).next(choice)
