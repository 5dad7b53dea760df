"""A SageMaker real-time endpoint on AWS Inferentia2 serving an LLM from an AWS Neuron deep-learning container.

What it builds:

- a ``Model`` (aws-sagemaker-alpha) from a Neuron DLC (TGI ``huggingface-pytorch-tgi-inference`` or LMI
  ``djl-inference``), with the Neuron serving settings as container environment, from a Hugging Face Hub id or S3
  artifacts (then with network isolation);
- an ``EndpointConfig`` with one ``ml.inf2.*`` variant, a KMS key for the storage volume and for captured data, and
  data capture into an encrypted, SSL-only, versioned bucket with a lifecycle;
- an ``Endpoint`` whose updates are blue/green (all at once or canary, with a baking wait) and roll back
  automatically when one of ``rollback_alarms`` (5xx errors, p99 model latency) fires;
- target tracking on ``SageMakerVariantInvocationsPerInstance`` and, optionally, scheduled actions that cap the
  capacity outside working hours;
- a least-privilege execution role (no ``AmazonSageMakerFullAccess``) whose statements are written out here.

The alpha L2s lack a few properties, added with escape hatches on their L1 resources (each marked below):
``VolumeSizeInGB``, ``ContainerStartupHealthCheckTimeoutInSeconds``, ``ModelDataDownloadTimeoutInSeconds`` and
``DataCaptureConfig`` on the endpoint configuration, ``ModelDataSource`` (uncompressed S3 artifacts) on the model,
and ``DeploymentConfig`` (blue/green with auto-rollback) on the endpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import aws_cdk.aws_sagemaker_alpha as sagemaker
from aws_cdk import Duration, Names, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker_cfn
from constructs import Construct

from cdk.components.customer_key import customer_managed_key
from cdk.components.encrypted_log_group import EncryptedLogGroup
from cdk.components.inferentia_endpoint.props import (
    MODEL_DIR,
    Autoscaling,
    BlueGreen,
    DataCapture,
    NeuronServing,
)
from cdk.components.inferentia_endpoint.scaling import autoscale
from cdk.components.least_privilege import allow, allow_image_pull, allow_kms
from cdk.components.managed_policy_role import ManagedPolicyRole
from cdk.components.neuron_dlc import dlc_repository
from cdk.components.neuron_dlc.trust import service_principal
from cdk.components.secure_bucket import AccessLogsBucket, SecureBucket

VARIANT_NAME = "AllTraffic"  # blue/green updates need the same variant name in the old and new configuration


@dataclass(frozen=True)
class ModelSource:
    """Where the weights come from: a Hugging Face Hub id, or S3 (``key`` ends in ``.tar.gz`` or ``/``)."""

    hf_model_id: str | None = None
    revision: str | None = None
    bucket: s3.IBucket | None = None
    key: str | None = None
    encryption_key: kms.IKey | None = None

    @staticmethod
    def hugging_face(model_id: str, revision: str | None = None) -> ModelSource:
        """A Hub model the container downloads at every start (needs egress); pin ``revision`` to a commit."""
        return ModelSource(hf_model_id=model_id, revision=revision)

    @staticmethod
    def from_s3(bucket: s3.IBucket, key: str, encryption_key: kms.IKey | None = None) -> ModelSource:
        if not (key.endswith(".tar.gz") or key.endswith("/")):
            raise ValueError(f"S3 model key {key!r} must end in .tar.gz (archive) or / (uncompressed prefix)")
        return ModelSource(bucket=bucket, key=key, encryption_key=encryption_key)

    @property
    def in_s3(self) -> bool:
        return self.bucket is not None


# ---------------------------------------------------------------------------------------------------------------
# Construct
# ---------------------------------------------------------------------------------------------------------------


class InferentiaEndpoint(Construct):
    """An LLM on an Inferentia2 real-time endpoint, with blue/green updates, rollback alarms and autoscaling.

    Example::

        from aws_cdk import App, Stack
        from aws_cdk import aws_iam as iam
        from aws_cdk import aws_s3 as s3

        from cdk.components.inferentia_endpoint import DataCapture, InferentiaEndpoint, ModelSource, NeuronServing

        app = App()
        stack = Stack(app, "Example")
        # Neuron-compiled weights staged in S3 for exactly these shapes (batch 4, 4,096 tokens, 2 cores, bf16).
        weights = s3.Bucket.from_bucket_name(stack, "Weights", "example-neuron-weights")
        endpoint = InferentiaEndpoint(
            stack, "Llm", instance_type="ml.inf2.xlarge", endpoint_name="example-llm",
            image_repository="huggingface-pytorch-tgi-inference",
            image_tag="2.1.2-optimum0.0.27-neuronx-py310-ubuntu22.04",
            model=ModelSource.from_s3(weights, "zephyr-7b-beta/neuron-b4-s4096-c2-bf16/"),
            serving=NeuronServing(num_cores=2, batch_size=4, max_input_tokens=3072, max_total_tokens=4096),
            chat_template="zephyr",  # how the orchestrator renders turns (the model's own template)
            data_capture=DataCapture(sampling_percentage=10, retention_days=30),
        )
        caller = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        endpoint.grant_invoke(caller)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_type: str,
        image_repository: str,
        image_tag: str,
        model: ModelSource,
        serving: NeuronServing,
        initial_instance_count: int = 1,
        volume_size_gb: int = 64,
        startup_health_check_timeout: Duration | None = None,
        model_data_download_timeout: Duration | None = None,
        data_capture: DataCapture | None = None,
        deployment: BlueGreen | None = None,
        autoscaling: Autoscaling | None = None,
        endpoint_name: str | None = None,
        catalog_id: str = "sagemaker-neuron-llm",
        chat_template: str = "generic",
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        log_encryption_key: kms.IKey | None = None,
        access_logs_bucket: s3.IBucket | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        serving.validate(instance_type)
        if initial_instance_count < 1:
            raise ValueError(f"initial_instance_count must be >= 1, got {initial_instance_count}")
        deployment = deployment or BlueGreen()
        deployment.validate()
        stack = Stack.of(self)
        self.serving = serving
        self.instance_type = instance_type
        self.variant_name = VARIANT_NAME
        # A known name lets the rollback alarms, the log group and the role's statements exist before the endpoint
        # (SageMaker reads the alarms during updates). It costs nothing: a new model or configuration updates the
        # endpoint in place (blue/green), it never replaces it.
        # SageMaker writes resource names in lower case in ARNs, so a name that IAM statements match must be lower case.
        self.endpoint_name = endpoint_name or Names.unique_resource_name(self, max_length=63, separator="-").lower()
        if not re.fullmatch(r"[a-z0-9](-*[a-z0-9]){0,62}", self.endpoint_name):
            raise ValueError(f"endpoint_name {self.endpoint_name!r} must be 1-63 lower-case letters, digits and '-'")

        self.key = customer_managed_key(
            self, "Key", description=f"Encrypts the {self.endpoint_name} storage volumes and captured data",
            removal_policy=removal_policy)
        self.log_group = EncryptedLogGroup(self, "Logs", retention=log_retention, removal_policy=removal_policy,
                                           encryption_key=log_encryption_key,
                                           log_group_name=f"/aws/sagemaker/Endpoints/{self.endpoint_name}").log_group

        # --- execution role ------------------------------------------------------------------------------------
        self.role = ManagedPolicyRole(self, "ExecutionRole",
                                      assumed_by=service_principal(self, "sagemaker"),
                                      description=f"Runs the model container of endpoint {self.endpoint_name}")
        repository = dlc_repository(self, "ImageRepository", image_repository)
        allow_image_pull(self.role, repository)
        allow(self.role, ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
              [self.log_group.log_group_arn],
              wildcard_reason="log streams are created per instance and container at run time, under the one "
                              "log group of this endpoint")
        allow(self.role, ["cloudwatch:PutMetricData"], ["*"],
              conditions={"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}},
              wildcard_reason="cloudwatch:PutMetricData supports no resource-level permissions; the condition "
                              "limits it to the SageMaker endpoint instance-metrics namespace")

        # --- model ---------------------------------------------------------------------------------------------
        model_id = MODEL_DIR if model.in_s3 else model.hf_model_id
        assert model_id is not None
        container = sagemaker.ContainerDefinition(
            image=sagemaker.ContainerImage.from_ecr_repository(repository, image_tag),
            environment=serving.environment(model_id, model.revision),
            model_data=(sagemaker.ModelData.from_bucket(model.bucket, model.key)
                        if model.in_s3 and model.key and model.key.endswith(".tar.gz") else None),
        )
        self.model = sagemaker.Model(
            self, "Model",
            # immutable view: the L2's automatic grants (whole-bucket reads) are dropped; statements above/below apply
            role=self.role.without_policy_updates(),
            containers=[container],
            network_isolation=model.in_s3,  # an S3 model needs no network at all
        )
        # CreateModel checks the role's access to the artifacts, so the model waits for the role's policy. The L2
        # also adds a DependsOn on the role, which its ExecutionRoleArn already implies (cfn-lint W3005): replace.
        cfn_model = self.model.node.find_child("Model")
        assert isinstance(cfn_model, sagemaker_cfn.CfnModel)
        cfn_model.add_override("DependsOn", [stack.get_logical_id(self.role.policy.node.default_child)])
        if model.in_s3:
            self._allow_model_read(model)
            if model.key and model.key.endswith("/"):
                # Escape hatch: the alpha Model has no ModelDataSource (uncompressed S3 artifacts).
                cfn_model.add_property_override("PrimaryContainer.ModelDataSource", {
                    "S3DataSource": {"S3Uri": model.bucket.s3_url_for_object(model.key),
                                     "S3DataType": "S3Prefix", "CompressionType": "None"},
                })

        # --- endpoint configuration ----------------------------------------------------------------------------
        self.endpoint_config = sagemaker.EndpointConfig(
            self, "Config",
            encryption_key=self.key,
            instance_production_variants=[sagemaker.InstanceProductionVariantProps(
                model=self.model,
                variant_name=VARIANT_NAME,
                instance_type=sagemaker.InstanceType.of(instance_type),
                initial_instance_count=initial_instance_count,
                initial_variant_weight=1,
            )],
        )
        cfn_config = self.endpoint_config.node.find_child("EndpointConfig")
        assert isinstance(cfn_config, sagemaker_cfn.CfnEndpointConfig)
        # Escape hatch: the alpha EndpointConfig has no per-variant storage/timeouts and no data capture.
        cfn_config.add_property_override("ProductionVariants.0.VolumeSizeInGB", volume_size_gb)
        cfn_config.add_property_override(
            "ProductionVariants.0.ContainerStartupHealthCheckTimeoutInSeconds",
            int((startup_health_check_timeout or Duration.minutes(30)).to_seconds()))
        cfn_config.add_property_override(
            "ProductionVariants.0.ModelDataDownloadTimeoutInSeconds",
            int((model_data_download_timeout or Duration.minutes(30)).to_seconds()))
        self.capture_bucket: s3.Bucket | None = None
        if data_capture is not None:
            data_capture.validate()
            self.capture_bucket = self._capture_bucket(data_capture, removal_policy, access_logs_bucket)
            allow(self.role, ["s3:PutObject"], [self.capture_bucket.arn_for_objects("capture/*")],
                  wildcard_reason="SageMaker writes captured requests under capture/<endpoint>/<variant>/<date>/, "
                                  "keys it names at run time")
            allow(self.role, ["s3:GetBucketLocation"], [self.capture_bucket.bucket_arn])
            allow_kms(self.role, [self.key.key_arn], via_service=f"s3.{stack.region}.{stack.url_suffix}")
            cfn_config.add_property_override("DataCaptureConfig", {
                "EnableCapture": True,
                "InitialSamplingPercentage": data_capture.sampling_percentage,
                "DestinationS3Uri": self.capture_bucket.s3_url_for_object("capture"),
                "KmsKeyId": self.key.key_arn,
                # Input only: responses are model output the orchestrator has not screened yet (see DataCapture).
                "CaptureOptions": [{"CaptureMode": "Input"}],
                "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]},
            })

        # --- rollback alarms -----------------------------------------------------------------------------------
        self.rollback_alarms = self._rollback_alarms(deployment)
        allow(self.role, ["cloudwatch:DescribeAlarms"], [alarm.alarm_arn for alarm in self.rollback_alarms])

        # --- endpoint ------------------------------------------------------------------------------------------
        self.endpoint = sagemaker.Endpoint(self, "Endpoint", endpoint_config=self.endpoint_config,
                                           endpoint_name=self.endpoint_name)
        self.endpoint.node.add_dependency(self.log_group)  # the alarms: referenced by name below
        # Escape hatch: the alpha Endpoint has no DeploymentConfig (blue/green policy and auto-rollback).
        cfn_endpoint = self.endpoint.node.find_child("Endpoint")
        assert isinstance(cfn_endpoint, sagemaker_cfn.CfnEndpoint)
        cfn_endpoint.add_property_override("DeploymentConfig", self._deployment_config(deployment))

        # --- autoscaling ---------------------------------------------------------------------------------------
        self.scalable_capacity: sagemaker.ScalableInstanceCount | None = None
        if autoscaling is not None:
            variant = self.endpoint.find_instance_production_variant(VARIANT_NAME)
            self.scalable_capacity = autoscale(variant, autoscaling, initial_instance_count)

        self.model_descriptor: dict[str, Any] = {
            "id": catalog_id,
            "backend": "sagemaker",
            "endpoint": self.endpoint_name,
            "container": serving.container,
            "template": chat_template,
            "max_tokens": serving.max_total_tokens - serving.max_input_tokens,
            "price_in": 0,
            "price_out": 0,
        }

    # ------------------------------------------------------------------------------------------------------------

    @property
    def endpoint_arn(self) -> str:
        return self.endpoint.endpoint_arn

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Invoke the endpoint, streaming included."""
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"],
            resource_arns=[self.endpoint.endpoint_arn],
        )

    def _allow_model_read(self, model: ModelSource) -> None:
        assert model.bucket is not None and model.key is not None
        if model.key.endswith("/"):
            allow(self.role, ["s3:GetObject"], [model.bucket.arn_for_objects(f"{model.key}*")],
                  wildcard_reason="an uncompressed model is every object under its S3 prefix (weights, "
                                  "tokenizer and config files)")
            allow(self.role, ["s3:ListBucket"], [model.bucket.bucket_arn],
                  conditions={"StringLike": {"s3:prefix": [f"{model.key}*"]}})
        else:
            allow(self.role, ["s3:GetObject"], [model.bucket.arn_for_objects(model.key)])
        if model.encryption_key is not None:
            stack = Stack.of(self)
            allow_kms(self.role, [model.encryption_key.key_arn], encrypt=False,
                      via_service=f"s3.{stack.region}.{stack.url_suffix}")

    def _capture_bucket(self, capture: DataCapture, removal_policy: RemovalPolicy,
                        access_logs_bucket: s3.IBucket | None) -> s3.Bucket:
        if access_logs_bucket is None:
            access_logs_bucket = AccessLogsBucket(self, "AccessLogs", removal_policy=removal_policy).bucket
        return SecureBucket(
            self, "Capture",
            encryption_key=self.key,
            access_logs_bucket=access_logs_bucket,
            access_logs_prefix=f"{self.endpoint_name}-capture/",
            removal_policy=removal_policy,
            replication_reason="Captured requests are a sample kept for a few days for model monitoring; they "
                               "are not a record that must survive a regional outage.",
            lifecycle_rules=[s3.LifecycleRule(
                id="ExpireCapturedData",
                expiration=Duration.days(capture.retention_days),
                noncurrent_version_expiration=Duration.days(1),
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )],
        ).bucket

    def _rollback_alarms(self, deployment: BlueGreen) -> list[cw.Alarm]:
        dimensions = {"EndpointName": self.endpoint_name, "VariantName": VARIANT_NAME}
        errors = cw.Alarm(
            self, "Rollback5xxAlarm",
            alarm_name=f"{self.endpoint_name}-rollback-5xx",
            alarm_description=(f"{self.endpoint_name}: {deployment.rollback_5xx_count}+ model 5xx errors in a "
                               "minute. During a deployment SageMaker rolls the update back; otherwise check the "
                               "endpoint's container logs."),
            metric=cw.Metric(namespace="AWS/SageMaker", metric_name="Invocation5XXErrors",
                             dimensions_map=dimensions, statistic="Sum", period=Duration.minutes(1)),
            threshold=deployment.rollback_5xx_count,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        latency = cw.Alarm(
            self, "RollbackLatencyAlarm",
            alarm_name=f"{self.endpoint_name}-rollback-latency-p99",
            alarm_description=(f"{self.endpoint_name}: p99 model latency above {deployment.rollback_latency_p99_ms} ms "
                               "in 2 of 3 minutes. During a deployment SageMaker rolls the update back."),
            # ModelLatency is reported in microseconds.
            metric=cw.Metric(namespace="AWS/SageMaker", metric_name="ModelLatency", dimensions_map=dimensions,
                             statistic="p99", period=Duration.minutes(1)),
            threshold=deployment.rollback_latency_p99_ms * 1000,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        return [errors, latency]

    def _deployment_config(self, deployment: BlueGreen) -> dict[str, Any]:
        routing: dict[str, Any] = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": deployment.wait_seconds}
        if deployment.traffic_routing == "canary":
            routing = {"Type": "CANARY", "WaitIntervalInSeconds": deployment.wait_seconds,
                       "CanarySize": {"Type": "INSTANCE_COUNT", "Value": deployment.canary_instance_count}}
        return {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": routing,
                "TerminationWaitInSeconds": deployment.termination_wait_seconds,
            },
            "AutoRollbackConfiguration": {
                "Alarms": [{"AlarmName": alarm.alarm_name} for alarm in self.rollback_alarms],
            },
        }
