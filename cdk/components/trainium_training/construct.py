"""A Step Functions pipeline that fine-tunes an LLM on AWS Trainium, compiles it for Inferentia2 and registers the
compiled model for approval.

Flow::

    Prepare -> Train (SageMaker training job, .sync) -> Export (optimum-cli export neuron, .sync)
                 |      -> the fine-tuning gate (gate.py: held-out perplexity vs approval_gate.max_perplexity)
                 |      -> Register (model package of the compiled artifacts, serving settings = compiled shapes,
                 |         model-quality metrics; PendingManualApproval if the gate passed, else Rejected + reason)
                 |  API errors: Retry with exponential backoff        -> NotifySucceeded -> Succeeded
                 |  job failed with a capacity error: wait (exponential backoff) and train again, a bounded
                 |  number of times, with a new job name and the same checkpoints
                 +- anything else -> NotifyFailed -> Failed

The training job runs the Neuron PyTorch training DLC (``pytorch-training-neuronx``) on ``ml.trn1.*``/``ml.trn2.*``,
across ``instance_count`` instances and every NeuronCore of each (SageMaker's ``torch_distributed`` launcher starts
one process per core; the entry point splits them into tensor- and data-parallel groups). The training script is
``training/neuron_finetune`` packed as ``sourcedir.tar.gz`` (an S3 asset, ``sagemaker_submit_directory``). Inputs come
from a data bucket, checkpoints (``CheckpointConfig``) and the model go to an artifacts bucket, both KMS-encrypted,
SSL-only, versioned and access-logged.

Service errors Step Functions reports for the optimized SageMaker integration (``arn:aws:states:::sagemaker:...``):
``SageMaker.ResourceLimitExceededException`` when the account's quota for the instance type is exhausted at
``CreateTrainingJob``, ``SageMaker.AmazonSageMakerException`` for other service errors (throttling included), and
``States.TaskFailed`` when the job itself fails; its ``Cause`` holds the ``DescribeTrainingJob`` output, whose
``FailureReason`` starts with ``CapacityError`` when SageMaker could not get the Trainium instances.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Annotations, ArnFormat, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sagemaker as sagemaker_cfn
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from cdk.components.customer_key import customer_managed_key
from cdk.components.encrypted_log_group import EncryptedLogGroup
from cdk.components.least_privilege import allow, allow_image_pull, allow_kms
from cdk.components.managed_policy_role import ManagedPolicyRole
from cdk.components.neuron_dlc import dlc_repository
from cdk.components.neuron_dlc.trust import service_principal
from cdk.components.secure_bucket import AccessLogsBucket, SecureBucket
from cdk.components.trainium_training.gate import GateStates
from cdk.components.trainium_training.props import ApprovalGate, CapacityRetry, PlannedRun, ServingImage
from cdk.components.trainium_training.source import source_asset
from cdk.components.trainium_training.states import PipelineStates
from cdk.planning import compute_planner
from cdk.planning.instances import INFERENTIA2_TYPES, TRAINIUM_TRAINING_TYPES
from cdk.policy import acknowledge

MAX_JOB_NAME_PREFIX = 63 - 37  # job names are at most 63 characters; "-" + a 36-character UUID is appended


class TrainiumTrainingPipeline(PipelineStates, GateStates, Construct):
    """Fine-tune on Trainium from a Step Functions state machine, then register the model: for manual approval if
    its held-out perplexity beats the baseline, else rejected.

    Example::

        from pathlib import Path

        from aws_cdk import App, Stack

        import training.neuron_finetune
        from cdk.components.inferentia_endpoint import NeuronServing
        from cdk.components.trainium_training import ApprovalGate, ServingImage, TrainiumTrainingPipeline

        app = App()
        stack = Stack(app, "Example")
        pipeline = TrainiumTrainingPipeline(
            stack, "FineTune", instance_type="ml.trn1.2xlarge", instance_count=1,
            image_repository="pytorch-training-neuronx", image_tag="2.8.0-neuronx-py311-sdk2.26.1-ubuntu22.04",
            # this repository's entry point: training/neuron_finetune/train.py
            source_directory=str(Path(training.neuron_finetune.__file__).parent), entry_point="train.py",
            hyperparameters={"model-id": "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "tensor-parallel-degree": "2"},
            # compiled for Inferentia2 after training, within TinyLlama's 2,048-token context
            serving_image=ServingImage("huggingface-pytorch-tgi-inference",
                                       "2.1.2-optimum0.0.27-neuronx-py310-ubuntu22.04",
                                       NeuronServing(batch_size=4, max_input_tokens=1536, max_total_tokens=2048)),
            job_name_prefix="example-ft", model_package_group_name="example-models",
            # registered for review only if its held-out perplexity is at most 12, else Rejected with the reason
            approval_gate=ApprovalGate(max_perplexity=12),
        )
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_type: str,
        image_repository: str,
        image_tag: str,
        source_directory: str,
        entry_point: str,
        hyperparameters: Mapping[str, str],
        serving_image: ServingImage,
        job_name_prefix: str,
        model_package_group_name: str,
        instance_count: int = 1,
        volume_size_gb: int = 200,
        max_runtime: Duration | None = None,
        spot_max_wait: Duration | None = None,
        network_isolation: bool = False,
        vpc: ec2.IVpc | None = None,
        subnets: Sequence[ec2.ISubnet] | None = None,
        train_prefix: str = "datasets/train/",
        validation_prefix: str | None = None,
        capacity_retry: CapacityRetry | None = None,
        approval_gate: ApprovalGate | None = None,
        export_instance_type: str = "ml.trn1.2xlarge",
        export_max_runtime: Duration | None = None,
        planned_run: PlannedRun | None = None,
        checkpoint_retention_days: int = 30,
        data_retention_days: int | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        log_encryption_key: kms.IKey | None = None,
        access_logs_bucket: s3.IBucket | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        max_runtime = max_runtime or Duration.days(1)
        export_max_runtime = export_max_runtime or Duration.hours(3)
        capacity_retry = capacity_retry or CapacityRetry()
        if export_instance_type not in TRAINIUM_TRAINING_TYPES:
            raise ValueError(f"export instance type {export_instance_type!r} must be a Trainium training type (SageMaker "
                             f"training jobs offer no ml.inf2); allowed: {', '.join(sorted(TRAINIUM_TRAINING_TYPES))}")
        serving_image.serving.validate_shape()
        self._validate(instance_type, instance_count, max_runtime, spot_max_wait, job_name_prefix,
                       model_package_group_name, source_directory, entry_point)
        self.instance_type = instance_type
        self.instance_count = instance_count
        self.training_job_name_prefix = job_name_prefix
        self.capacity_retry = capacity_retry
        self.plan: compute_planner.Plan | None = None
        if planned_run is not None:
            self._check_plan(planned_run, int(max_runtime.to_seconds()))

        # --- storage ---------------------------------------------------------------------------------------------
        self.key = customer_managed_key(self, "Key", description="Encrypts the fine-tuning data, checkpoints, models and topic",
                                        removal_policy=removal_policy)
        if access_logs_bucket is None:
            access_logs_bucket = AccessLogsBucket(self, "AccessLogs", removal_policy=removal_policy).bucket
        data_lifecycle = [s3.LifecycleRule(id="AbortUploadsAndOldVersions",
                                           noncurrent_version_expiration=Duration.days(30),
                                           abort_incomplete_multipart_upload_after=Duration.days(7),
                                           expiration=Duration.days(data_retention_days) if data_retention_days
                                           else None)]
        self.data_bucket = SecureBucket(
            self, "Data", encryption_key=self.key, access_logs_bucket=access_logs_bucket,
            removal_policy=removal_policy, lifecycle_rules=data_lifecycle,
            replication_reason="Training datasets are derived from upstream sources and can be re-staged; "
                               "versioning protects them against overwrites within the region.",
        ).bucket
        self.artifacts_bucket = SecureBucket(
            self, "Artifacts", encryption_key=self.key, access_logs_bucket=access_logs_bucket,
            removal_policy=removal_policy,
            lifecycle_rules=[
                s3.LifecycleRule(id="ExpireCheckpoints", prefix="checkpoints/",
                                 expiration=Duration.days(checkpoint_retention_days),
                                 noncurrent_version_expiration=Duration.days(1)),
                s3.LifecycleRule(id="AbortUploadsAndOldVersions", noncurrent_version_expiration=Duration.days(30),
                                 abort_incomplete_multipart_upload_after=Duration.days(7)),
            ],
            replication_reason="Model artifacts are reproducible from the training data and code; approved models "
                               "are copied where they are served, and versioning guards against overwrites.",
        ).bucket

        # --- model registry --------------------------------------------------------------------------------------
        self.model_package_group = sagemaker_cfn.CfnModelPackageGroup(
            self, "ModelPackageGroup", model_package_group_name=model_package_group_name,
            model_package_group_description=f"Fine-tuned models from {job_name_prefix}-* Trainium jobs; approve "
                                            "one before serving it on Inferentia2",
        )
        self.model_package_group.apply_removal_policy(removal_policy)
        self.model_package_group_name = model_package_group_name

        # --- notifications ---------------------------------------------------------------------------------------
        self.notification_topic = sns.Topic(self, "Notifications", display_name=f"{job_name_prefix} fine-tuning",
                                            master_key=self.key, enforce_ssl=True)

        # --- training job role -----------------------------------------------------------------------------------
        source = source_asset(self, "Source", source_directory)
        self.training_role = self._training_role(stack, image_repository, serving_image.repository, source,
                                                 train_prefix, validation_prefix, vpc is not None)
        security_group_ids: list[str] = []
        subnet_ids: list[str] = []
        if vpc is not None:
            group = ec2.SecurityGroup(self, "TrainingSecurityGroup", vpc=vpc, allow_all_outbound=True,
                                      description=f"{job_name_prefix} training instances")
            # Distributed training: the instances of one job talk to each other on every port.
            group.add_ingress_rule(group, ec2.Port.all_traffic(), "between the instances of a training job")
            acknowledge(group, "NIST.800.53.R5-EC2RestrictedCommonPorts",
                        "the only ingress rule is from this security group itself: the instances of a distributed "
                        "training job exchange collective-communication traffic on every port (SageMaker VPC guide)")
            security_group_ids = [group.security_group_id]
            subnet_ids = [subnet.subnet_id for subnet in (subnets or vpc.private_subnets)]
            if not subnet_ids:
                raise ValueError("the training VPC has no private subnets to run in; pass subnets")

        # --- state machine ---------------------------------------------------------------------------------------
        self.state_machine_role = ManagedPolicyRole(self, "StateMachineRole",
                                                    assumed_by=service_principal(self, "states"),
                                                    description=f"Runs the {job_name_prefix} fine-tuning pipeline")
        train = self._train_state(stack, image_tag, source, entry_point, hyperparameters,
                                  volume_size_gb, max_runtime, spot_max_wait, network_isolation, train_prefix,
                                  validation_prefix, security_group_ids, subnet_ids)
        export = self._export_state(stack, serving_image, int(export_max_runtime.to_seconds()),
                                    export_instance_type)
        register = self._register_state(stack, serving_image)
        notify_failed = tasks.SnsPublish(
            self, "NotifyFailed", topic=self.notification_topic, subject=f"{job_name_prefix}: fine-tuning failed",
            message=sfn.TaskInput.from_object({
                "status": "FAILED",
                "execution": sfn.JsonPath.execution_id,
                "error": sfn.JsonPath.string_at("$.error.Error"),
                "cause": sfn.JsonPath.string_at("$.error.Cause"),
            }),
            result_path=sfn.JsonPath.DISCARD,
        )
        notify_succeeded = tasks.SnsPublish(
            self, "NotifySucceeded", topic=self.notification_topic,
            subject=f"{job_name_prefix}: model registered",
            message=sfn.TaskInput.from_object({
                "status": "SUCCEEDED",
                "execution": sfn.JsonPath.execution_id,
                "trainingJobName": sfn.JsonPath.string_at("$.training.TrainingJobName"),
                "modelArtifacts": sfn.JsonPath.string_at("$.export.ModelArtifacts"),
                "modelPackageArn": sfn.JsonPath.string_at("$.registration.ModelPackageArn"),
                "approvalStatus": sfn.JsonPath.string_at("$.gate.status"),
                "gate": sfn.JsonPath.string_at("$.gate.reason"),
                "next": "approve the model package, then set sagemaker.endpoint.model_artifacts_key to the "
                        "compiled artifacts key (output/<export job>/output/model.tar.gz) and the endpoint's "
                        "shape keys to the registered ones, and deploy",
            }),
            result_path=sfn.JsonPath.DISCARD,
        )
        for notify in (notify_failed, notify_succeeded):
            notify.add_retry(errors=[sfn.Errors.TASKS_FAILED], interval=Duration.seconds(5), backoff_rate=2,
                             max_attempts=3)
        notify_failed.next(sfn.Fail(self, "Failed", error="FineTuningFailed", cause="see the NotifyFailed message"))
        notify_succeeded.next(sfn.Succeed(self, "Succeeded"))

        # Capacity shortages surface as a failed job: wait (exponential backoff) and run a new job.
        backoff = sfn.Pass(
            self, "ScheduleCapacityRetry",
            parameters={
                "capacityAttempt": sfn.JsonPath.math_add(sfn.JsonPath.number_at("$.run.capacityAttempt"), 1),
                "capacityDelays": sfn.JsonPath.list_at("$.run.capacityDelays"),
                "waitSeconds": sfn.JsonPath.array_get_item(sfn.JsonPath.list_at("$.run.capacityDelays"),
                                                           sfn.JsonPath.number_at("$.run.capacityAttempt")),
            },
            result_path="$.run",
        )
        wait = sfn.Wait(self, "WaitForCapacity", time=sfn.WaitTime.seconds_path("$.run.waitSeconds"))
        capacity_choice = sfn.Choice(self, "CapacityError?").when(
            sfn.Condition.and_(
                sfn.Condition.string_equals("$.error.Error", sfn.Errors.TASKS_FAILED),
                sfn.Condition.string_matches("$.error.Cause", "*CapacityError*"),
                sfn.Condition.number_less_than("$.run.capacityAttempt", capacity_retry.max_attempts),
            ),
            backoff.next(wait).next(train),
        ).otherwise(notify_failed)
        train.add_catch(capacity_choice, errors=[sfn.Errors.TASKS_FAILED], result_path="$.error")
        train.add_catch(notify_failed, errors=[sfn.Errors.ALL], result_path="$.error")
        export.add_catch(notify_failed, errors=[sfn.Errors.ALL], result_path="$.error")
        register.add_catch(notify_failed, errors=[sfn.Errors.ALL], result_path="$.error")

        prepare = sfn.Pass(self, "Prepare", parameters={"capacityAttempt": 0,
                                                         "capacityDelays": list(capacity_retry.delays())},
                           result_path="$.run")
        register.next(notify_succeeded)
        definition = prepare.next(train).next(export).next(
            self._gate_states(stack, approval_gate or ApprovalGate(), register, notify_failed))

        self.log_group = EncryptedLogGroup(self, "StateMachineLogs", retention=log_retention,
                                           removal_policy=removal_policy, encryption_key=log_encryption_key).log_group
        per_attempt = (spot_max_wait or max_runtime).to_seconds()
        timeout = Duration.seconds(int(per_attempt * (capacity_retry.max_attempts + 1) + sum(capacity_retry.delays())
                                       + export_max_runtime.to_seconds() + 3600))
        self.state_machine = sfn.StateMachine(
            self, "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            role=self.state_machine_role,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            timeout=timeout,
            comment=f"Fine-tune on {instance_count} x {instance_type}, register for approval, notify",
        )
        self._state_machine_permissions(stack)

    # ------------------------------------------------------------------------------------------------------------

    @staticmethod
    def _validate(instance_type: str, instance_count: int, max_runtime: Duration, spot_max_wait: Duration | None,
                  job_name_prefix: str, model_package_group_name: str, source_directory: str,
                  entry_point: str) -> None:
        if instance_type not in TRAINIUM_TRAINING_TYPES:
            kind = "an Inferentia2 inference type" if instance_type in INFERENTIA2_TYPES else "not a Trainium type"
            raise ValueError(f"training instance type {instance_type!r} is {kind}; allowed: "
                             f"{', '.join(sorted(TRAINIUM_TRAINING_TYPES))}")
        if instance_count < 1:
            raise ValueError(f"instance_count must be >= 1, got {instance_count}")
        runtime = max_runtime.to_seconds()
        if not 1 <= runtime <= compute_planner.SAGEMAKER_MAX_RUNTIME_SECONDS:
            raise ValueError(f"max_runtime must be 1 s to 28 days, got {runtime} s")
        if spot_max_wait is not None and spot_max_wait.to_seconds() < runtime:
            raise ValueError(f"spot max_wait ({spot_max_wait.to_seconds()} s) must be >= max_runtime ({runtime} s)")
        # SageMaker writes names in lower case in ARNs; the IAM statements match <prefix>-*, so lower case only.
        if len(job_name_prefix) > MAX_JOB_NAME_PREFIX or not re.fullmatch(r"[a-z0-9](-*[a-z0-9])*", job_name_prefix):
            raise ValueError(f"job_name_prefix {job_name_prefix!r} must be 1-{MAX_JOB_NAME_PREFIX} lower-case "
                             "letters, digits and '-'")
        if not re.fullmatch(r"[a-z0-9](-*[a-z0-9]){0,62}", model_package_group_name):
            raise ValueError(f"model_package_group_name {model_package_group_name!r} must be 1-63 lower-case "
                             "letters, digits and '-'")
        if not (Path(source_directory) / entry_point).is_file():
            raise ValueError(f"entry point {entry_point!r} is not a file in {source_directory}")

    def _check_plan(self, planned: PlannedRun, max_runtime_seconds: int) -> None:
        region = Stack.of(self).region
        if Token.is_unresolved(region):
            region = compute_planner.DEFAULT_REGION  # only the price depends on it
        self.plan = compute_planner.plan(planned.params, instance_type=self.instance_type,
                                         instance_count=self.instance_count, tokens=planned.tokens, mfu=planned.mfu,
                                         region=region)
        warning = compute_planner.check_max_runtime(self.plan, max_runtime_seconds)
        if warning:
            Annotations.of(self).add_warning_v2("genai:training:max-runtime-too-short", warning)

    def _training_role(self, stack: Stack, image_repository: str, serving_repository: str, source: s3_assets.Asset,
                       train_prefix: str, validation_prefix: str | None, in_vpc: bool) -> ManagedPolicyRole:
        role = ManagedPolicyRole(self, "TrainingRole", assumed_by=service_principal(self, "sagemaker"),
                                 description=f"Runs the {self.training_job_name_prefix} training jobs")
        self.training_repository = dlc_repository(self, "TrainingImageRepository", image_repository)
        allow_image_pull(role, self.training_repository)
        # The export job runs in the Inferentia2 serving image with this role.
        self.serving_repository = dlc_repository(self, "ServingImageRepository", serving_repository)
        allow_image_pull(role, self.serving_repository)
        log_group = stack.format_arn(service="logs", resource="log-group",
                                     resource_name="/aws/sagemaker/TrainingJobs",
                                     arn_format=ArnFormat.COLON_RESOURCE_NAME)
        allow(role, ["logs:CreateLogGroup"], [log_group])
        allow(role, ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
              [f"{log_group}:log-stream:{self.training_job_name_prefix}-*"],
              wildcard_reason="SageMaker names a training job's log streams <job name>/algo-<n>-<timestamp>; job "
                              "names carry this pipeline's prefix and a per-run UUID")
        allow(role, ["cloudwatch:PutMetricData"], ["*"],
              conditions={"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}},
              wildcard_reason="cloudwatch:PutMetricData supports no resource-level permissions; the condition "
                              "limits it to the SageMaker training-job metrics namespace")
        # Inputs: read the dataset prefixes only.
        prefixes = [train_prefix] + ([validation_prefix] if validation_prefix else [])
        allow(role, ["s3:GetObject"], [self.data_bucket.arn_for_objects(f"{p}*") for p in prefixes],
              wildcard_reason="a training channel is every object under its dataset prefix")
        allow(role, ["s3:ListBucket"], [self.data_bucket.bucket_arn],
              conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}})
        # Outputs: the model, checkpoints (read back on restart) and the Neuron compile cache.
        allow(role, ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
              [self.artifacts_bucket.arn_for_objects(p) for p in ("output/*", "checkpoints/*", "neuron-cache/*")],
              wildcard_reason="SageMaker writes output/<job>/..., checkpoints/<execution>/... and the Neuron "
                              "compile cache under keys it names at run time")
        allow(role, ["s3:DeleteObject"], [self.artifacts_bucket.arn_for_objects("checkpoints/*"),
                                          self.artifacts_bucket.arn_for_objects("neuron-cache/*")],
              wildcard_reason="checkpoint sync and the compile cache replace files they wrote under their prefixes")
        allow(role, ["s3:ListBucket"], [self.artifacts_bucket.bucket_arn],
              conditions={"StringLike": {"s3:prefix": ["checkpoints/*", "neuron-cache/*", "output/*"]}})
        allow_kms(role, [self.key.key_arn], via_service=f"s3.{stack.region}.{stack.url_suffix}")
        # The training code (a CDK asset in the bootstrap bucket).
        allow(role, ["s3:GetObject"], [source.bucket.arn_for_objects(source.s3_object_key)])
        if in_vpc:
            allow(role, ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                         "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission",
                         "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
                         "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"], ["*"],
                  wildcard_reason="SageMaker creates the training instances' network interfaces in the job's "
                                  "subnets at run time; EC2 Describe* actions support no resource-level permissions")
        return role
