"""SageMaker on AWS silicon for one environment: an LLM on an Inferentia2 endpoint and a Trainium fine-tuning pipeline.

What later stacks use:

- ``endpoint``: ``None`` when ``sagemaker.endpoint.enabled`` is false; else an
  :class:`~cdk.components.inferentia_endpoint.InferentiaEndpoint` with ``endpoint_name``, ``variant_name``,
  ``grant_invoke(grantee)``, ``model_descriptor`` (the orchestrator's ``MODELS`` entry, ``backend: sagemaker``) and
  ``rollback_alarms`` (the observability stack adds the alarm topic to them);
- ``training_pipeline``: ``None`` when ``sagemaker.training.enabled`` is false; else a
  :class:`~cdk.components.trainium_training.TrainiumTrainingPipeline` with ``state_machine``,
  ``training_job_name_prefix``, ``notification_topic``, ``data_bucket``, ``artifacts_bucket`` and
  ``model_package_group_name``.

Rolling an approved fine-tuned model onto the endpoint: approve its model package (SageMaker Studio or
``aws sagemaker update-model-package --model-approval-status Approved``), set ``sagemaker.endpoint.model_artifacts_key``
to its Neuron-compiled artifacts in this environment's artifacts bucket (``output/<export job>/output/model.tar.gz``,
the package's ``ModelDataUrl``) and deploy;
the endpoint updates blue/green and rolls back on its alarms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.components.encrypted_log_group import LogsEncryptionKey, retention_days
from cdk.components.inferentia_endpoint import InferentiaEndpoint, ModelSource
from cdk.components.secure_bucket import AccessLogsBucket
from cdk.components.trainium_training import PlannedRun, ServingImage, TrainiumTrainingPipeline
from cdk.components.trainium_training.construct import MAX_JOB_NAME_PREFIX
from cdk.config import EnvironmentConfig
from cdk.config.sagemaker import EndpointSettings, TrainingSettings
from cdk.config.sagemaker_fields import CONTAINER_DEFAULTS
from stacks.network import import_vpc

TRAINING_SOURCE = Path(__file__).resolve().parents[1] / "training" / "neuron_finetune"


def export_image(endpoint: EndpointSettings) -> tuple[str, str]:
    """The image the pipeline compiles in and registers for: the endpoint's when it is TGI (optimum-neuron), else
    the default TGI Neuron image."""
    if endpoint.serving.container == "tgi":
        return endpoint.image_repository, endpoint.image_tag
    return CONTAINER_DEFAULTS["tgi"]


class SageMakerStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig,
                 training_source: Path = TRAINING_SOURCE, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = config.sagemaker
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        log_retention = retention_days(config.log_retention_days)
        self.endpoint: InferentiaEndpoint | None = None
        self.training_pipeline: TrainiumTrainingPipeline | None = None

        access_logs = AccessLogsBucket(self, "AccessLogs", removal_policy=removal).bucket
        logs_key = LogsEncryptionKey(self, "LogsKey", description="Encrypts the SageMaker stack's log groups",
                                     removal_policy=removal).key

        if settings.training.enabled:
            self.training_pipeline = self._training(config, settings.training, settings.endpoint, removal,
                                                    log_retention, logs_key, access_logs, training_source)
            pipeline = self.training_pipeline
            CfnOutput(self, "TrainingStateMachineArn", value=pipeline.state_machine.state_machine_arn,
                      description="Start a fine-tuning run: aws stepfunctions start-execution --input '{}'")
            CfnOutput(self, "TrainingDataBucket", value=pipeline.data_bucket.bucket_name,
                      description=f"Upload training data under s3://<bucket>/{settings.training.train_prefix}")
            CfnOutput(self, "TrainingArtifactsBucket", value=pipeline.artifacts_bucket.bucket_name,
                      description="Fine-tuned models (output/<job>/output/model.tar.gz) and checkpoints")
            CfnOutput(self, "ModelPackageGroupName", value=pipeline.model_package_group_name,
                      description="Approve registered models here before serving them")

        if settings.endpoint.enabled:
            self.endpoint = self._endpoint(config, settings.endpoint, removal, log_retention, logs_key, access_logs)
            CfnOutput(self, "EndpointName", value=self.endpoint.endpoint_name,
                      description="The Inferentia2 real-time endpoint serving the LLM")

    def _training(self, config: EnvironmentConfig, training: TrainingSettings, endpoint: EndpointSettings,
                  removal: RemovalPolicy, log_retention: logs.RetentionDays, logs_key: kms.IKey,
                  access_logs: s3.IBucket,
                  training_source: Path) -> TrainiumTrainingPipeline:
        vpc = None
        if training.use_vpc:
            vpc = import_vpc(self, "Vpc", config.network)
        planned = None
        if training.planned_params is not None:
            planned = PlannedRun(params=training.planned_params, tokens=training.planned_tokens,
                                 mfu=training.planned_mfu)
        prefix = f"{config.project}-{config.name}"[: MAX_JOB_NAME_PREFIX - 3].rstrip("-") + "-ft"
        return TrainiumTrainingPipeline(
            self, "FineTuning",
            instance_type=training.instance_type,
            instance_count=training.instance_count,
            image_repository=training.image_repository,
            image_tag=training.image_tag,
            source_directory=str(training_source),
            entry_point=training.entry_point,
            hyperparameters=dict(training.hyperparameters),
            # The export job compiles with (and the model package registers) the export shapes, in the serving image.
            serving_image=ServingImage(*export_image(endpoint), serving=training.export.serving),
            export_instance_type=training.export.instance_type,
            export_max_runtime=Duration.seconds(training.export.max_runtime_seconds),
            job_name_prefix=prefix,
            model_package_group_name=config.stack_name("models"),
            volume_size_gb=training.volume_size_gb,
            max_runtime=Duration.seconds(training.max_runtime_seconds),
            spot_max_wait=Duration.seconds(training.spot.max_wait_seconds) if training.spot.enabled else None,
            network_isolation=training.network_isolation,
            vpc=vpc,
            train_prefix=training.train_prefix,
            validation_prefix=training.validation_prefix,
            capacity_retry=training.capacity_retry,
            approval_gate=training.approval,
            planned_run=planned,
            checkpoint_retention_days=training.checkpoint_retention_days,
            data_retention_days=training.data_retention_days,
            removal_policy=removal,
            log_retention=log_retention,
            log_encryption_key=logs_key,
            access_logs_bucket=access_logs,
        )

    def _endpoint(self, config: EnvironmentConfig, endpoint: EndpointSettings, removal: RemovalPolicy,
                  log_retention: logs.RetentionDays, logs_key: kms.IKey, access_logs: s3.IBucket
                  ) -> InferentiaEndpoint:
        if endpoint.hf_model_id is not None:
            model = ModelSource.hugging_face(endpoint.hf_model_id, endpoint.hf_model_revision)
        elif endpoint.model_data_url is not None:
            # {account} and {region} in the bucket name: the weights are staged per account and region (README).
            url = endpoint.model_data_url.format(account=self.account, region=self.region)
            bucket_name, key = url.removeprefix("s3://").split("/", 1)
            model = ModelSource.from_s3(s3.Bucket.from_bucket_name(self, "ModelBucket", bucket_name), key)
        else:
            pipeline = self.training_pipeline
            assert pipeline is not None and endpoint.model_artifacts_key is not None  # checked by the config
            model = ModelSource.from_s3(pipeline.artifacts_bucket, endpoint.model_artifacts_key, pipeline.key)
        return InferentiaEndpoint(
            self, "Inference",
            instance_type=endpoint.instance_type,
            initial_instance_count=endpoint.initial_instance_count,
            image_repository=endpoint.image_repository,
            image_tag=endpoint.image_tag,
            model=model,
            serving=endpoint.serving,
            volume_size_gb=endpoint.volume_size_gb,
            startup_health_check_timeout=Duration.seconds(endpoint.startup_health_check_timeout_seconds),
            model_data_download_timeout=Duration.seconds(endpoint.model_data_download_timeout_seconds),
            data_capture=endpoint.data_capture,
            deployment=endpoint.deployment,
            autoscaling=endpoint.autoscaling,
            endpoint_name=config.stack_name("llm"),
            catalog_id=endpoint.catalog_id,
            chat_template=endpoint.chat_template,
            removal_policy=removal,
            log_retention=log_retention,
            log_encryption_key=logs_key,
            access_logs_bucket=access_logs,
        )
