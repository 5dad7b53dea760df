"""The Task states of :class:`TrainiumTrainingPipeline` and the state machine's permissions (a mixin, so the
construct module stays about wiring): Train (the fine-tuning job), Export (the Neuron compile job), Register.

The Export state runs ``optimum-cli export neuron`` inside the Inferentia2 serving image (a Neuron DLC) as a
SageMaker training job: SageMaker training and processing jobs do not offer ``ml.inf2`` instances (botocore's
``TrainingInstanceType`` lists only ``ml.trn*``, ``ProcessingInstanceType`` no Neuron type), so it compiles on a
Trainium instance (NeuronCore-v2, like Inferentia2). Running the serving image keeps the compiler the one the
endpoint's runtime expects. ``AlgorithmSpecification.ContainerEntrypoint``/``ContainerArguments`` (each string at
most 256 characters, botocore's SageMaker model) replace the image's serving entry point. Not verified on a real
account: that artifacts compiled on trn1 load on inf2 with the same core count, and that the TGI neuronx image ships
``optimum-cli`` on its PATH (it installs optimum-neuron, whose console script it is).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from cdk.components.inferentia_endpoint.props import MODEL_DIR, NeuronServing
from cdk.components.least_privilege import allow, allow_kms, nag_resource_finding
from cdk.components.trainium_training.gate import metric_definitions
from cdk.components.trainium_training.props import ServingImage
from cdk.planning.instances import INFERENTIA2_TYPES
from cdk.policy import acknowledge

CHECKPOINT_DIR = "/opt/ml/checkpoints"  # the local directory SageMaker syncs with CheckpointConfig.S3Uri
CAPACITY_ERRORS = ("SageMaker.ResourceLimitExceededException",)
SERVICE_ERRORS = ("SageMaker.AmazonSageMakerException",)
EXPORT_VOLUME_GB = 100
MAX_CONTAINER_STRING = 256  # AlgorithmSpecification.ContainerEntrypoint / ContainerArguments items
# Unpack the merged model (the training job's model.tar.gz, channel "model"), compile it with the shapes passed as
# arguments ("$@"), keep the tokenizer beside the compiled model; SageMaker uploads /opt/ml/model as model.tar.gz.
EXPORT_SCRIPT = ('set -e; d=/tmp/merged; mkdir -p "$d"; tar -xzf /opt/ml/input/data/model/*.tar.gz -C "$d"; '
                 'optimum-cli export neuron --model "$d" --task text-generation "$@" /opt/ml/model; '
                 'cp "$d"/tokenizer* "$d"/special_tokens_map.json /opt/ml/model/ 2>/dev/null || true')


def export_entrypoint(serving: NeuronServing) -> tuple[list[str], list[str]]:
    """``ContainerEntrypoint`` and ``ContainerArguments`` of the export job for ``serving``'s shapes."""
    entrypoint, arguments = ["bash", "-c", EXPORT_SCRIPT, "neuron-export"], serving.export_arguments()
    too_long = [item for item in entrypoint + arguments if len(item) > MAX_CONTAINER_STRING]
    if too_long:
        raise ValueError(f"container entry point strings must be at most {MAX_CONTAINER_STRING} characters: "
                         f"{too_long[0][:40]!r}...")
    return entrypoint, arguments


class PipelineStates:
    """Mixed into :class:`TrainiumTrainingPipeline`; uses its roles, buckets, key and names."""

    def _job_name(self) -> str:
        return f"States.Format('{self.training_job_name_prefix}-{{}}', States.UUID())"

    def _train_state(self, stack: Stack, image_tag: str, source: s3_assets.Asset,
                     entry_point: str, hyperparameters: Mapping[str, str], volume_size_gb: int, max_runtime: Duration,
                     spot_max_wait: Duration | None, network_isolation: bool, train_prefix: str,
                     validation_prefix: str | None, security_group_ids: Sequence[str],
                     subnet_ids: Sequence[str]) -> sfn.CustomState:
        # A CustomState, not tasks.SageMakerCreateTrainingJob: the L2 task (aws-cdk-lib 2.275) cannot set
        # CheckpointConfig, EnableManagedSpotTraining or StoppingCondition.MaxWaitTimeInSeconds. The ASL is the
        # same optimized integration; its IAM policy is written in _state_machine_permissions.
        channels = [("train", train_prefix)] + ([("validation", validation_prefix)] if validation_prefix else [])
        stopping: dict[str, object] = {"MaxRuntimeInSeconds": int(max_runtime.to_seconds())}
        if spot_max_wait is not None:
            stopping["MaxWaitTimeInSeconds"] = int(spot_max_wait.to_seconds())
        parameters: dict[str, object] = {
            "TrainingJobName.$": self._job_name(),
            "RoleArn": self.training_role.role_arn,
            "AlgorithmSpecification": {
                "TrainingImage": self.training_repository.repository_uri_for_tag(image_tag),
                "TrainingInputMode": "File",
                # The training script's "gate metrics" line -> FinalMetricDataList, read by the gate.
                "MetricDefinitions": metric_definitions(),
            },
            "HyperParameters": {
                **dict(hyperparameters),
                "sagemaker_program": entry_point,
                "sagemaker_submit_directory": source.s3_object_url,
                "sagemaker_region": stack.region,
                "sagemaker_container_log_level": "20",
                # torchrun with one process per NeuronCore on every instance (SageMaker's torch_distributed).
                "sagemaker_torch_distributed_enabled": "true",
                "sagemaker_instance_type": self.instance_type,
            },
            "Environment": {
                # Neuron's persistent compile cache in S3: later runs skip recompiling the same graphs.
                "NEURON_COMPILE_CACHE_URL": self.artifacts_bucket.s3_url_for_object("neuron-cache/"),
            },
            "InputDataConfig": [{
                "ChannelName": name,
                "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": self.data_bucket.s3_url_for_object(prefix),
                    "S3DataDistributionType": "FullyReplicated",
                }},
            } for name, prefix in channels],
            "OutputDataConfig": {
                "S3OutputPath": self.artifacts_bucket.s3_url_for_object("output/"),
                "KmsKeyId": self.key.key_arn,
            },
            "CheckpointConfig": {
                # One prefix per execution: a capacity retry (a new job) resumes from the same checkpoints.
                "S3Uri.$": f"States.Format('{self.artifacts_bucket.s3_url_for_object('checkpoints')}/{{}}/', "
                           "$$.Execution.Name)",
                "LocalPath": CHECKPOINT_DIR,
            },
            "ResourceConfig": {
                "InstanceType": self.instance_type,
                "InstanceCount": self.instance_count,
                "VolumeSizeInGB": volume_size_gb,
            },
            "StoppingCondition": stopping,
            "EnableManagedSpotTraining": spot_max_wait is not None,
            "EnableNetworkIsolation": network_isolation,
        }
        if subnet_ids:
            parameters["VpcConfig"] = {"SecurityGroupIds": list(security_group_ids), "Subnets": list(subnet_ids)}
        state = sfn.CustomState(self, "Train", state_json={
            "Type": "Task",
            "Resource": f"arn:{stack.partition}:states:::sagemaker:createTrainingJob.sync",
            "Parameters": parameters,
            "ResultSelector": {
                "TrainingJobName.$": "$.TrainingJobName",
                "TrainingJobArn.$": "$.TrainingJobArn",
                "ModelArtifacts.$": "$.ModelArtifacts.S3ModelArtifacts",
            },
            "ResultPath": "$.training",
        })
        self._add_job_retries(state)
        return state

    def _export_state(self, stack: Stack, serving: ServingImage, max_runtime_seconds: int,
                      instance_type: str) -> sfn.CustomState:
        entrypoint, arguments = export_entrypoint(serving.serving)
        state = sfn.CustomState(self, "Export", state_json={
            "Type": "Task",
            "Resource": f"arn:{stack.partition}:states:::sagemaker:createTrainingJob.sync",
            "Parameters": {
                "TrainingJobName.$": self._job_name(),
                "RoleArn": self.training_role.role_arn,
                "AlgorithmSpecification": {
                    "TrainingImage": self.serving_repository.repository_uri_for_tag(serving.tag),
                    "TrainingInputMode": "File",
                    "ContainerEntrypoint": entrypoint,
                    "ContainerArguments": arguments,
                },
                "InputDataConfig": [{
                    "ChannelName": "model",
                    "DataSource": {"S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri.$": "$.training.ModelArtifacts",
                        "S3DataDistributionType": "FullyReplicated",
                    }},
                }],
                "OutputDataConfig": {
                    "S3OutputPath": self.artifacts_bucket.s3_url_for_object("output/"),
                    "KmsKeyId": self.key.key_arn,
                },
                "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": 1,
                                   "VolumeSizeInGB": EXPORT_VOLUME_GB},
                "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime_seconds},
                "EnableNetworkIsolation": True,  # the merged model is local: compiling needs no network
            },
            "ResultSelector": {
                "TrainingJobName.$": "$.TrainingJobName",
                "ModelArtifacts.$": "$.ModelArtifacts.S3ModelArtifacts",
            },
            "ResultPath": "$.export",
        })
        self._add_job_retries(state)
        return state

    def _add_job_retries(self, state: sfn.CustomState) -> None:
        # Quota exhausted at CreateTrainingJob: back off exponentially (jittered), then give up to the catcher.
        retry = self.capacity_retry
        state.add_retry(errors=list(CAPACITY_ERRORS), interval=Duration.seconds(retry.interval_seconds),
                        backoff_rate=retry.backoff_rate, max_attempts=retry.max_attempts,
                        max_delay=Duration.seconds(retry.max_delay_seconds), jitter_strategy=sfn.JitterType.FULL)
        # Throttling and transient service errors.
        state.add_retry(errors=list(SERVICE_ERRORS), interval=Duration.seconds(30), backoff_rate=2, max_attempts=3,
                        jitter_strategy=sfn.JitterType.FULL)

    def _register_state(self, stack: Stack, serving: ServingImage) -> tasks.CallAwsService:
        serving_repository = self.serving_repository
        group_arn = stack.format_arn(service="sagemaker", resource="model-package-group",
                                     resource_name=self.model_package_group_name)
        package_arns = stack.format_arn(service="sagemaker", resource="model-package",
                                        resource_name=f"{self.model_package_group_name}/*")
        register = tasks.CallAwsService(
            self, "Register",
            service="sagemaker",
            action="createModelPackage",
            iam_action="sagemaker:CreateModelPackage",
            iam_resources=[group_arn, package_arns],
            parameters={
                "ModelPackageGroupName": self.model_package_group_name,
                # Decided by the fine-tuning gate (gate.py): PendingManualApproval or Rejected, with the reason.
                "ModelApprovalStatus": sfn.JsonPath.string_at("$.gate.status"),
                "ModelPackageDescription": sfn.JsonPath.format(
                    "{} Fine-tuned on {} x {} by training job {}, compiled for Neuron ({}) by job {}",
                    sfn.JsonPath.string_at("$.gate.reason"), str(self.instance_count), self.instance_type,
                    sfn.JsonPath.string_at("$.training.TrainingJobName"), serving.serving.shape_label,
                    sfn.JsonPath.string_at("$.export.TrainingJobName")),
                "ModelMetrics": {"ModelQuality": {"Statistics": {
                    "ContentType": "application/json", "S3Uri": self._metrics_uri()}}},
                "CustomerMetadataProperties": {
                    "TrainingJobName": sfn.JsonPath.string_at("$.training.TrainingJobName"),
                    "TrainingInstanceType": self.instance_type,
                    "TrainingInstanceCount": str(self.instance_count),
                    "ExportJobName": sfn.JsonPath.string_at("$.export.TrainingJobName"),
                    "NeuronShape": serving.serving.shape_label,
                    "GateDecision": sfn.JsonPath.string_at("$.gate.status"),
                },
                "InferenceSpecification": {
                    "Containers": [{
                        "Image": serving_repository.repository_uri_for_tag(serving.tag),
                        # The export job's output: compiled for exactly the shapes the environment below serves.
                        "ModelDataUrl": sfn.JsonPath.string_at("$.export.ModelArtifacts"),
                        "Environment": serving.serving.environment(MODEL_DIR),
                    }],
                    "SupportedContentTypes": ["application/json"],
                    "SupportedResponseMIMETypes": ["application/json"],
                    "SupportedRealtimeInferenceInstanceTypes": sorted(INFERENTIA2_TYPES),
                },
            },
            result_selector={"ModelPackageArn": sfn.JsonPath.string_at("$.ModelPackageArn")},
            result_path="$.registration",
        )
        register.node.add_dependency(self.model_package_group)
        acknowledge(self.state_machine_role.policy, "AwsSolutions-IAM5",
                    "each registration creates the next version <group>/<n> of this pipeline's own model package "
                    "group; the version number is assigned by SageMaker",
                    findings=[nag_resource_finding(self, package_arns)])
        register.add_retry(errors=["SageMaker.SageMakerException"], interval=Duration.seconds(5), backoff_rate=2,
                           max_attempts=3)
        return register

    def _state_machine_permissions(self, stack: Stack) -> None:
        role = self.state_machine_role
        jobs = stack.format_arn(service="sagemaker", resource="training-job",
                                resource_name=f"{self.training_job_name_prefix}-*")
        # The .sync integration tags the jobs it starts, so it needs sagemaker:AddTags and sagemaker:ListTags as well
        # (aws-cdk-lib 2.275's tasks.SageMakerCreateTrainingJob grants both: AddTags on the job-name prefix,
        # ListTags on "*"; here both stay on this pipeline's job-name prefix, which both actions support as a
        # training-job resource).
        allow(role, ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
                     "sagemaker:AddTags", "sagemaker:ListTags"],
              [jobs], wildcard_reason="each run creates training and export jobs named <prefix>-<UUID>; the prefix "
                                      "is this pipeline's own")
        allow(role, ["iam:PassRole"], [self.training_role.role_arn],
              conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}})
        # The .sync integration learns of job completion through this managed EventBridge rule.
        allow(role, ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
              [stack.format_arn(service="events", resource="rule",
                                resource_name="StepFunctionsGetEventsForSageMakerTrainingJobsRule")])
        allow_kms(role, [self.key.key_arn], via_service=f"sns.{stack.region}.{stack.url_suffix}")
        # Executions need the policy; the L2's DependsOn on the role itself is implied by RoleArn (cfn-lint W3005).
        cfn_state_machine = self.state_machine.node.default_child
        assert isinstance(cfn_state_machine, sfn.CfnStateMachine)
        cfn_state_machine.add_override("DependsOn", [stack.get_logical_id(role.policy.node.default_child)])

        # The L2 StateMachine adds X-Ray and log-delivery statements with "*" resources (AWS requires them).
        acknowledge(role.policy, "AwsSolutions-IAM5",
                    "Step Functions delivers execution logs through CloudWatch Logs vended log delivery and traces to "
                    "X-Ray; those actions support no resource-level permissions, so the L2 grants them on '*'",
                    findings=["Resource::*"])
