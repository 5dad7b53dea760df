"""The SageMaker stack: an Inferentia2 endpoint (image per region, Neuron settings, KMS, data capture, network
isolation for S3 models, blue/green with rollback alarms, autoscaling and its schedule) and the Trainium
fine-tuning pipeline (state machine retries, capacity backoff, registration, notifications, the planner check),
all least-privilege; plus what a bad input does to the constructs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import App, Duration, Environment, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from cdk.components.inferentia_endpoint import (
    Autoscaling,
    DataCapture,
    InferentiaEndpoint,
    ModelSource,
    NeuronServing,
    ScaleDownSchedule,
)
from cdk.components.neuron_dlc import DLC_REGISTRY_ACCOUNTS, UnknownDlcRegionError
from cdk.components.trainium_training import PlannedRun, ServingImage, TrainiumTrainingPipeline
from cdk.config import load_app_config
from cdk.planning.instances import INFERENTIA2_TYPES
from stacks.sagemaker_stack import TRAINING_SOURCE, SageMakerStack
from tests.infra.synth import ROOT, cdk_context, flat

TGI_REPO, TGI_TAG = "huggingface-pytorch-tgi-inference", "2.1.2-optimum0.0.27-neuronx-py310-ubuntu22.04"
TRAIN_REPO, TRAIN_TAG = "pytorch-training-neuronx", "2.8.0-neuronx-py311-sdk2.26.1-ubuntu22.04"


# --------------------------------------------------------------------------- helpers


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == resource_type}


def one(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = of_type(template, resource_type)
    assert len(found) == 1, (resource_type, list(found))
    return next(iter(found.values()))


def definition(template: dict[str, Any]) -> dict[str, Any]:
    """The state machine's Amazon States Language, with intrinsics rendered as ${...} placeholders."""
    state_machine = one(template, "AWS::StepFunctions::StateMachine")
    return json.loads(flat(state_machine["Properties"]["DefinitionString"]))


def policy_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for resource in template["Resources"].values():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            out += [flat(s) for s in resource["Properties"]["PolicyDocument"]["Statement"]]
    return out


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def feature_flags() -> dict[str, Any]:
    return {key: value for key, value in cdk_context().items() if key.startswith("@")}


@pytest.fixture(scope="module")
def sagemaker(synthesized):
    return {env: synthesized.stack(env, "SageMaker").template for env in ("dev", "staging", "prod")
            if any(s.environment == env and s.construct_id == "SageMaker" for s in synthesized.stacks)}


# --------------------------------------------------------------------------- environments


def test_dev_trains_on_trn1_and_serves_nothing_staging_and_prod_serve_on_inf2(sagemaker):
    dev, staging, prod = sagemaker["dev"], sagemaker["staging"], sagemaker["prod"]
    assert not of_type(dev, "AWS::SageMaker::Endpoint")
    train = definition(dev)["States"]["Train"]
    assert train["Parameters"]["ResourceConfig"]["InstanceType"] == "ml.trn1.2xlarge"
    for template, instance_type in ((staging, "ml.inf2.xlarge"), (prod, "ml.inf2.8xlarge")):
        variant = one(template, "AWS::SageMaker::EndpointConfig")["Properties"]["ProductionVariants"][0]
        assert variant["InstanceType"] == instance_type
        assert variant["VariantName"] == "AllTraffic"
        assert not of_type(template, "AWS::StepFunctions::StateMachine")


def test_endpoint_image_comes_from_the_regional_dlc_registry_with_the_partition_suffix(sagemaker):
    image = flat(one(sagemaker["prod"], "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]["Image"])
    assert image == f"763104351884.dkr.ecr.eu-west-1.${{AWS::URLSuffix}}/{TGI_REPO}:{TGI_TAG}"


def test_neuron_settings_are_container_environment(sagemaker):
    environment = one(sagemaker["staging"], "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]["Environment"]
    assert environment == {
        "HF_MODEL_ID": "/opt/ml/model", "HF_NUM_CORES": "2", "HF_AUTO_CAST_TYPE": "bf16",
        "HF_BATCH_SIZE": "4", "HF_SEQUENCE_LENGTH": "4096", "MAX_BATCH_SIZE": "4", "MAX_INPUT_TOKENS": "3072",
        "MAX_TOTAL_TOKENS": "4096",
    }


def test_a_hub_model_needs_egress_so_it_is_not_network_isolated():
    stack, _ = _endpoint_stack("eu-west-1", model=ModelSource.hugging_face("org/model", "0" * 40))
    model = one(Template.from_stack(stack).to_json(), "AWS::SageMaker::Model")["Properties"]
    assert not model.get("EnableNetworkIsolation")
    assert model["PrimaryContainer"]["Environment"]["HF_MODEL_REVISION"] == "0" * 40


def test_endpoint_storage_timeouts_and_kms(sagemaker):
    for template in (sagemaker["staging"], sagemaker["prod"]):
        config = one(template, "AWS::SageMaker::EndpointConfig")["Properties"]
        variant = config["ProductionVariants"][0]
        assert variant["VolumeSizeInGB"] == 64
        assert variant["ContainerStartupHealthCheckTimeoutInSeconds"] == 1800
        assert variant["ModelDataDownloadTimeoutInSeconds"] == 1800
        assert flat(config["KmsKeyId"]).endswith(".Arn}")


def test_data_capture_is_sampled_encrypted_and_expires(sagemaker):
    for template, sampling in ((sagemaker["staging"], 10), (sagemaker["prod"], 5)):
        config = one(template, "AWS::SageMaker::EndpointConfig")["Properties"]
        capture = flat(config["DataCaptureConfig"])
        assert capture["EnableCapture"] is True and capture["InitialSamplingPercentage"] == sampling
        assert capture["KmsKeyId"] == flat(config["KmsKeyId"])
        # Input only: responses are unscreened model output (issue 12 item 7).
        assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}]
        bucket_ref = re.fullmatch(r"s3://\$\{(\w+)\}/capture", capture["DestinationS3Uri"]).group(1)
        bucket = template["Resources"][bucket_ref]["Properties"]
        rule = bucket["LifecycleConfiguration"]["Rules"][0]
        assert rule["ExpirationInDays"] == 30 and rule["Status"] == "Enabled"


def test_every_bucket_is_encrypted_ssl_only_private_and_versioned(sagemaker):
    for template in sagemaker.values():
        policies = [flat(p["Properties"]) for p in of_type(template, "AWS::S3::BucketPolicy").values()]
        for logical_id, bucket in of_type(template, "AWS::S3::Bucket").items():
            props = bucket["Properties"]
            encryption = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            algorithm = encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
            if "LoggingConfiguration" in props:  # a data bucket (the access-log bucket must be SSE-S3)
                assert algorithm == "aws:kms" and encryption["BucketKeyEnabled"], logical_id
            assert props["VersioningConfiguration"]["Status"] == "Enabled", logical_id
            assert all(props["PublicAccessBlockConfiguration"][key] for key in (
                "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")), logical_id
            denies = [s for p in policies if p["Bucket"] == f"${{{logical_id}}}"
                      for s in p["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
            assert any(s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false" for s in denies), logical_id


def test_keys_rotate_and_logs_topics_are_encrypted(sagemaker):
    for template in sagemaker.values():
        for key in of_type(template, "AWS::KMS::Key").values():
            assert key["Properties"]["EnableKeyRotation"] is True
        for group in of_type(template, "AWS::Logs::LogGroup").values():
            assert "KmsKeyId" in group["Properties"] and group["Properties"]["RetentionInDays"] > 0
        for topic in of_type(template, "AWS::SNS::Topic").values():
            assert "KmsMasterKeyId" in topic["Properties"]


def test_blue_green_updates_roll_back_on_this_stacks_alarms(sagemaker):
    for template, routing in ((sagemaker["staging"], "ALL_AT_ONCE"), (sagemaker["prod"], "CANARY")):
        endpoint = one(template, "AWS::SageMaker::Endpoint")["Properties"]
        config = endpoint["DeploymentConfig"]
        traffic = config["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
        assert traffic["Type"] == routing and traffic["WaitIntervalInSeconds"] > 0
        alarms = [flat(a["AlarmName"]) for a in config["AutoRollbackConfiguration"]["Alarms"]]
        assert len(alarms) == 2
        metrics = set()
        for alarm in alarms:
            props = template["Resources"][alarm[2:-1]]["Properties"]
            assert {d["Name"]: d["Value"] for d in props["Dimensions"]} == {
                "EndpointName": endpoint["EndpointName"], "VariantName": "AllTraffic"}
            assert props["AlarmActions"], "the observability stack wires the alarm topic"
            metrics.add(props["MetricName"])
        assert metrics == {"Invocation5XXErrors", "ModelLatency"}
    canary = one(sagemaker["prod"], "AWS::SageMaker::Endpoint")["Properties"]["DeploymentConfig"]
    assert canary["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["CanarySize"] == {
        "Type": "INSTANCE_COUNT", "Value": 1}


def test_autoscaling_tracks_invocations_per_instance(sagemaker):
    target = one(sagemaker["prod"], "AWS::ApplicationAutoScaling::ScalableTarget")["Properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert "ScheduledActions" not in target
    policy = one(sagemaker["prod"], "AWS::ApplicationAutoScaling::ScalingPolicy")["Properties"]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == "SageMakerVariantInvocationsPerInstance"
    assert tracking["TargetValue"] == 20


def test_staging_scales_down_outside_working_hours(sagemaker):
    target = one(sagemaker["staging"], "AWS::ApplicationAutoScaling::ScalableTarget")["Properties"]
    actions = {a["ScheduledActionName"]: a for a in target["ScheduledActions"]}
    up, down = actions["ScaleUpForWorkingHours"], actions["ScaleDownAfterWorkingHours"]
    assert up["Schedule"] == "cron(0 7 ? * MON,TUE,WED,THU,FRI *)"
    assert down["Schedule"] == "cron(0 19 ? * MON,TUE,WED,THU,FRI *)"
    assert up["ScalableTargetAction"] == {"MinCapacity": 2, "MaxCapacity": 3}
    assert down["ScalableTargetAction"] == {"MinCapacity": 1, "MaxCapacity": 1}
    assert up["Timezone"] == down["Timezone"] == "Europe/Dublin"


def test_endpoint_role_is_least_privilege(sagemaker):
    template = sagemaker["prod"]
    for role in of_type(template, "AWS::IAM::Role").values():
        assert not role["Properties"].get("ManagedPolicyArns"), "no AWS managed policies (AmazonSageMakerFullAccess)"
        assert not role["Properties"].get("Policies"), "no inline policies"
    assert not of_type(template, "AWS::IAM::Policy")
    statements = policy_statements(template)
    wildcard = [s for s in statements if "*" in as_list(s["Resource"])]
    assert {a for s in wildcard for a in as_list(s["Action"])} == {"ecr:GetAuthorizationToken",
                                                                   "cloudwatch:PutMetricData"}
    assert all(s.get("Condition") for s in wildcard if s["Action"] == "cloudwatch:PutMetricData")
    pulls = [s for s in statements if "ecr:BatchGetImage" in as_list(s["Action"])]
    assert [s["Resource"] for s in pulls] == [f"arn:aws:ecr:eu-west-1:763104351884:repository/{TGI_REPO}"]
    assert any("cloudwatch:DescribeAlarms" in as_list(s["Action"]) for s in statements)
    assert not any(a.endswith(":*") or a == "*" for s in statements for a in as_list(s["Action"]))


def test_model_descriptor_and_invoke_grant_for_the_orchestrator():
    config = load_app_config(cdk_context()).environment("prod")
    stack = SageMakerStack(App(context=feature_flags()), "SageMaker", config=config,
                           env=Environment(region=config.region))
    assert stack.endpoint is not None and stack.training_pipeline is None
    assert stack.endpoint.model_descriptor == {
        "id": "sagemaker-neuron-llm", "backend": "sagemaker", "endpoint": "genai-prod-llm", "container": "tgi",
        "template": "zephyr",
        "max_tokens": 1024, "price_in": 0, "price_out": 0,
    }
    assert stack.endpoint.variant_name == "AllTraffic" and len(stack.endpoint.rollback_alarms) == 2


# --------------------------------------------------------------------------- training pipeline


def test_training_job_runs_the_neuron_dlc_with_checkpoints_and_encrypted_output(sagemaker):
    params = definition(sagemaker["dev"])["States"]["Train"]["Parameters"]
    assert params["AlgorithmSpecification"]["TrainingImage"] == \
        f"763104351884.dkr.ecr.eu-west-1.${{AWS::URLSuffix}}/{TRAIN_REPO}:{TRAIN_TAG}"
    hyper = params["HyperParameters"]
    assert hyper["sagemaker_program"] == "train.py"
    assert re.fullmatch(r"s3://cdk-[a-z0-9]+-assets-\$\{AWS::AccountId\}-eu-west-1/[0-9a-f]{64}\.gz",
                        hyper["sagemaker_submit_directory"])
    assert hyper["sagemaker_torch_distributed_enabled"] == "true"
    assert hyper["tensor-parallel-degree"] == "2" and hyper["model-id"] == "TinyLlama/TinyLlama-1.1B-Chat-v1.0"
    assert params["TrainingJobName.$"] == "States.Format('genai-dev-ft-{}', States.UUID())"
    assert params["CheckpointConfig"]["LocalPath"] == "/opt/ml/checkpoints"
    assert params["CheckpointConfig"]["S3Uri.$"].endswith("/checkpoints/{}/', $$.Execution.Name)")
    assert params["OutputDataConfig"]["KmsKeyId"].endswith(".Arn}")
    assert params["StoppingCondition"] == {"MaxRuntimeInSeconds": 43200}
    assert params["EnableManagedSpotTraining"] is False
    assert params["InputDataConfig"][0]["ChannelName"] == "train"


def test_training_retries_capacity_errors_with_exponential_backoff(sagemaker):
    states = definition(sagemaker["dev"])["States"]
    train = states["Train"]
    assert train["Resource"] == "arn:aws:states:::sagemaker:createTrainingJob.sync"  # RUN_JOB
    quota, service = train["Retry"]
    assert quota == {"ErrorEquals": ["SageMaker.ResourceLimitExceededException"], "IntervalSeconds": 300,
                     "MaxAttempts": 5, "BackoffRate": 2, "MaxDelaySeconds": 3600, "JitterStrategy": "FULL"}
    assert service["ErrorEquals"] == ["SageMaker.AmazonSageMakerException"] and service["BackoffRate"] == 2
    catches = {tuple(c["ErrorEquals"]): c["Next"] for c in train["Catch"]}
    assert catches == {("States.TaskFailed",): "CapacityError?", ("States.ALL",): "NotifyFailed"}
    # A job that failed for capacity runs again after interval * 2**n seconds (capped), a bounded number of times.
    choice = states["CapacityError?"]
    conditions = choice["Choices"][0]["And"]
    assert {"Variable": "$.error.Cause", "StringMatches": "*CapacityError*"} in conditions
    assert {"Variable": "$.run.capacityAttempt", "NumericLessThan": 5} in conditions
    assert choice["Default"] == "NotifyFailed"
    assert states["Prepare"]["Parameters"]["capacityDelays"] == [300, 600, 1200, 2400, 3600]
    assert states["ScheduleCapacityRetry"]["Next"] == "WaitForCapacity"
    assert states["WaitForCapacity"] == {"Type": "Wait", "SecondsPath": "$.run.waitSeconds", "Next": "Train"}


def test_training_registers_the_model_for_manual_approval_and_notifies(sagemaker):
    template = sagemaker["dev"]
    states = definition(template)["States"]
    register = states["Register"]
    assert register["Resource"] == "arn:${AWS::Partition}:states:::aws-sdk:sagemaker:createModelPackage"
    params = register["Parameters"]
    assert params["ModelApprovalStatus.$"] == "$.gate.status"  # the fine-tuning gate decides (test_fine_tuning_gate)
    assert params["ModelPackageGroupName"] == "genai-dev-models"
    container = params["InferenceSpecification"]["Containers"][0]
    assert container["Image"] == f"763104351884.dkr.ecr.eu-west-1.${{AWS::URLSuffix}}/{TGI_REPO}:{TGI_TAG}"
    assert container["ModelDataUrl.$"] == "$.export.ModelArtifacts"
    assert container["Environment"]["HF_MODEL_ID"] == "/opt/ml/model"
    assert set(params["InferenceSpecification"]["SupportedRealtimeInferenceInstanceTypes"]) == INFERENTIA2_TYPES
    assert register["Next"] == "NotifySucceeded"
    for name in ("NotifySucceeded", "NotifyFailed"):
        assert states[name]["Resource"] == "arn:${AWS::Partition}:states:::sns:publish"
    assert states["NotifyFailed"]["Next"] == "Failed" and states["NotifySucceeded"]["Next"] == "Succeeded"
    group = one(template, "AWS::SageMaker::ModelPackageGroup")
    assert group["Properties"]["ModelPackageGroupName"] == "genai-dev-models"
    assert group["DeletionPolicy"] == "Delete"  # dev: removal_policy destroy


def test_state_machine_logs_to_kms_encrypted_group_and_traces(sagemaker):
    template = sagemaker["dev"]
    props = one(template, "AWS::StepFunctions::StateMachine")["Properties"]
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    group_ref = props["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]
    group = template["Resources"][group_ref["Fn::GetAtt"][0]]["Properties"]
    assert "KmsKeyId" in group


def test_training_permissions_are_scoped_to_the_pipelines_own_names(sagemaker):
    statements = policy_statements(sagemaker["dev"])
    by_action = {action: s for s in statements for action in as_list(s["Action"])}
    assert by_action["sagemaker:CreateTrainingJob"]["Resource"] == \
        "arn:aws:sagemaker:eu-west-1:${AWS::AccountId}:training-job/genai-dev-ft-*"
    assert by_action["iam:PassRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert set(as_list(by_action["sagemaker:CreateModelPackage"]["Resource"])) == {
        "arn:aws:sagemaker:eu-west-1:${AWS::AccountId}:model-package-group/genai-dev-models",
        "arn:aws:sagemaker:eu-west-1:${AWS::AccountId}:model-package/genai-dev-models/*"}
    reads = [s for s in statements if s["Action"] == "s3:GetObject"]
    assert any(r.endswith("/datasets/train/*") for s in reads for r in as_list(s["Resource"]))
    assert not any(a.endswith(":*") or a == "*" for s in statements for a in as_list(s["Action"]))


# --------------------------------------------------------------------------- constructs on bare stacks


def _endpoint_stack(region: str | None, **overrides: Any) -> tuple[Stack, InferentiaEndpoint]:
    app = App(context=feature_flags())
    stack = Stack(app, "Stack", env=Environment(region=region, account="111122223333") if region else None)
    kwargs: dict[str, Any] = {
        "instance_type": "ml.inf2.xlarge", "image_repository": TGI_REPO, "image_tag": TGI_TAG,
        "model": ModelSource.hugging_face("org/model"), "serving": NeuronServing(), "endpoint_name": "demo-llm",
        "removal_policy": RemovalPolicy.DESTROY, **overrides,
    }
    return stack, InferentiaEndpoint(stack, "Llm", **kwargs)


def _image(stack: Stack) -> str:
    return flat(one(Template.from_stack(stack).to_json(), "AWS::SageMaker::Model")["Properties"]["PrimaryContainer"]
                ["Image"])


@pytest.mark.parametrize("region", ["eu-west-1", "eu-south-1", "af-south-1"])
def test_image_uri_uses_the_registry_account_of_the_region(region):
    stack, _ = _endpoint_stack(region)
    assert _image(stack) == f"{DLC_REGISTRY_ACCOUNTS[region]}.dkr.ecr.{region}.${{AWS::URLSuffix}}/{TGI_REPO}:{TGI_TAG}"
    assert DLC_REGISTRY_ACCOUNTS["eu-south-1"] != DLC_REGISTRY_ACCOUNTS["eu-west-1"] != DLC_REGISTRY_ACCOUNTS[
        "af-south-1"]


def test_a_region_agnostic_stack_maps_the_account_by_region():
    stack, _ = _endpoint_stack(None)
    assert _image(stack) == ("${FindInMap:DlcRegistryAccounts,${AWS::Region},account}.dkr.ecr.${AWS::Region}."
                             f"${{AWS::URLSuffix}}/{TGI_REPO}:{TGI_TAG}")
    mapping = Template.from_stack(stack).to_json()["Mappings"]["DlcRegistryAccounts"]
    assert mapping["eu-south-1"] == {"account": "692866216735"}


def test_an_unknown_region_fails_synth_naming_the_known_ones():
    with pytest.raises(UnknownDlcRegionError, match=r"'ap-southeast-6'.*known regions: af-south-1"):
        _endpoint_stack("ap-southeast-6")


def test_a_model_from_s3_runs_network_isolated_and_reads_only_its_prefix():
    app = App(context=feature_flags())
    stack = Stack(app, "Stack", env=Environment(region="eu-west-1", account="111122223333"))
    bucket = s3.Bucket.from_bucket_name(stack, "Models", "models-bucket")
    InferentiaEndpoint(stack, "Llm", instance_type="ml.inf2.24xlarge", image_repository="djl-inference",
                       image_tag="0.30.0-neuronx-sdk2.20.1", model=ModelSource.from_s3(bucket, "llm/zephyr/"),
                       serving=NeuronServing(container="lmi", num_cores=12, batch_size=8), endpoint_name="demo-llm")
    template = Template.from_stack(stack).to_json()
    container = one(template, "AWS::SageMaker::Model")["Properties"]
    assert container["EnableNetworkIsolation"] is True
    assert container["PrimaryContainer"]["ModelDataSource"] == {"S3DataSource": {
        "S3Uri": "s3://models-bucket/llm/zephyr/", "S3DataType": "S3Prefix", "CompressionType": "None"}}
    assert container["PrimaryContainer"]["Environment"] == {
        "HF_MODEL_ID": "/opt/ml/model", "OPTION_TENSOR_PARALLEL_DEGREE": "12", "OPTION_ROLLING_BATCH": "auto",
        "OPTION_MAX_ROLLING_BATCH_SIZE": "8", "OPTION_N_POSITIONS": "4096", "OPTION_DTYPE": "bf16"}
    reads = [s for s in policy_statements(template) if s["Action"] == "s3:GetObject"]
    assert [s["Resource"] for s in reads] == ["arn:aws:s3:::models-bucket/llm/zephyr/*"]


def test_an_approved_model_rolls_onto_the_endpoint_from_the_artifacts_bucket():
    context = cdk_context()
    dev = dict(context["environments"]["dev"])
    dev["sagemaker"] = {**dev["sagemaker"], "endpoint": {
        "enabled": True, "model_artifacts_key": "output/genai-dev-ft-abc/output/model.tar.gz"}}
    config = load_app_config({**context, "environments": {"dev": dev}}).environment("dev")
    stack = SageMakerStack(App(context=feature_flags()), "SageMaker", config=config,
                           env=Environment(region=config.region))
    template = Template.from_stack(stack).to_json()
    model = one(template, "AWS::SageMaker::Model")["Properties"]
    assert model["EnableNetworkIsolation"] is True
    url = flat(model["PrimaryContainer"]["ModelDataUrl"])
    assert re.fullmatch(r"https://s3\.eu-west-1\.\$\{AWS::URLSuffix\}/\$\{FineTuningArtifactsBucket\w+\}/"
                        r"output/genai-dev-ft-abc/output/model\.tar\.gz", url)
    statements = policy_statements(template)
    reads = [r for s in statements if s["Action"] == "s3:GetObject" for r in as_list(s["Resource"])]
    assert any(re.fullmatch(r"\$\{FineTuningArtifactsBucket\w+\.Arn\}/output/genai-dev-ft-abc/output/model\.tar\.gz", r)
               for r in reads)
    decrypt = [s for s in statements if "kms:Decrypt" in as_list(s["Action"]) and "kms:Encrypt" not in s["Action"]]
    assert decrypt and decrypt[0]["Resource"].startswith("${FineTuningKey")


def test_autoscaling_schedule_across_midnight_shifts_the_scale_down_day():
    stack, _ = _endpoint_stack("eu-west-1", initial_instance_count=2, autoscaling=Autoscaling(
        min_capacity=2, max_capacity=4, schedule=ScaleDownSchedule(days=frozenset({4}), start_minute=20 * 60,
                                                                   end_minute=2 * 60 + 30, timezone="UTC")))
    target = one(Template.from_stack(stack).to_json(), "AWS::ApplicationAutoScaling::ScalableTarget")
    schedules = {a["ScheduledActionName"]: a["Schedule"] for a in target["Properties"]["ScheduledActions"]}
    assert schedules == {"ScaleUpForWorkingHours": "cron(0 20 ? * FRI *)",
                         "ScaleDownAfterWorkingHours": "cron(30 2 ? * SAT *)"}


def test_data_capture_percentage_outside_0_100_is_refused():
    with pytest.raises(ValueError, match="sampling_percentage must be 0-100, got 101"):
        _endpoint_stack("eu-west-1", data_capture=DataCapture(sampling_percentage=101))


@pytest.mark.parametrize(
    ("serving", "instance_type", "message"),
    [
        (NeuronServing(num_cores=4), "ml.inf2.xlarge", "num_cores 4 does not fit ml.inf2.xlarge, which has 2"),
        (NeuronServing(container="vllm"), "ml.inf2.xlarge", "unknown container kind 'vllm'; allowed: tgi, lmi"),
        (NeuronServing(max_input_tokens=4096, max_total_tokens=2048), "ml.inf2.xlarge", "must be below"),
        (NeuronServing(), "ml.trn1.32xlarge", "not an Inferentia2 type"),
    ],
)
def test_impossible_serving_settings_fail_with_the_numbers(serving, instance_type, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _endpoint_stack("eu-west-1", serving=serving, instance_type=instance_type)


def _pipeline(stack: Stack, **overrides: Any) -> TrainiumTrainingPipeline:
    kwargs: dict[str, Any] = {
        "instance_type": "ml.trn1.2xlarge", "image_repository": TRAIN_REPO, "image_tag": TRAIN_TAG,
        "source_directory": str(TRAINING_SOURCE), "entry_point": "train.py",
        "hyperparameters": {"model-id": "org/model"}, "job_name_prefix": "demo-ft",
        "serving_image": ServingImage(TGI_REPO, TGI_TAG),
        "model_package_group_name": "demo-models", **overrides,
    }
    return TrainiumTrainingPipeline(stack, "FineTune", **kwargs)


def test_a_max_runtime_too_short_for_the_planned_tokens_is_a_synth_warning():
    app = App(context=feature_flags())
    stack = Stack(app, "Stack", env=Environment(region="us-east-1", account="111122223333"))
    pipeline = _pipeline(stack, max_runtime=Duration.hours(24), planned_run=PlannedRun(params=7e9, tokens=1.4e11))
    Annotations.from_stack(stack).has_warning(
        "/Stack/FineTune", Match.string_like_regexp(r"max runtime 24\.0 h is shorter than the planned wall time"))
    assert pipeline.plan is not None and pipeline.plan.wall_seconds > 24 * 3600


def test_a_max_runtime_that_fits_the_plan_warns_nothing():
    app = App(context=feature_flags())
    stack = Stack(app, "Stack", env=Environment(region="eu-west-1", account="111122223333"))
    _pipeline(stack, max_runtime=Duration.hours(12), planned_run=PlannedRun(params=1.1e9, tokens=2e8))
    assert not Annotations.from_stack(stack).find_warning("*", Match.any_value())


def test_spot_training_waits_at_least_its_runtime():
    app = App(context=feature_flags())
    stack = Stack(app, "Stack", env=Environment(region="eu-west-1", account="111122223333"))
    _pipeline(stack, max_runtime=Duration.hours(4), spot_max_wait=Duration.hours(8))
    params = definition(Template.from_stack(stack).to_json())["States"]["Train"]["Parameters"]
    assert params["EnableManagedSpotTraining"] is True
    assert params["StoppingCondition"] == {"MaxRuntimeInSeconds": 14400, "MaxWaitTimeInSeconds": 28800}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"instance_type": "ml.inf2.xlarge"}, "is an Inferentia2 inference type"),
        ({"instance_count": 0}, "instance_count must be >= 1"),
        ({"max_runtime": Duration.hours(4), "spot_max_wait": Duration.hours(2)}, "must be >= max_runtime"),
        ({"entry_point": "missing.py"}, "entry point 'missing.py' is not a file"),
        ({"job_name_prefix": "x" * 30}, "must be 1-26 lower-case letters"),
        ({"job_name_prefix": "Demo"}, "must be 1-26 lower-case letters"),
        ({"model_package_group_name": "Models_1"}, "must be 1-63 lower-case"),
    ],
)
def test_bad_pipeline_arguments_fail_synth(overrides, message):
    stack = Stack(App(context=feature_flags()), "Stack", env=Environment(region="eu-west-1", account="111122223333"))
    with pytest.raises(ValueError, match=re.escape(message)):
        _pipeline(stack, **overrides)


def test_training_runs_in_the_environments_vpc_when_asked():
    context = cdk_context()
    dev = dict(context["environments"]["dev"])
    dev["network"] = {"vpc_id": "vpc-0123456789abcdef0", "vpc_cidr": "10.0.0.0/16",
                      "availability_zones": ["eu-west-1a", "eu-west-1b"],
                      "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
                      "private_subnet_route_table_ids": ["rtb-0123456789abcdef0", "rtb-0fedcba9876543210"]}
    dev["sagemaker"] = {"training": {**dev["sagemaker"]["training"], "use_vpc": True}}
    config = load_app_config({**context, "environments": {"dev": dev}}).environment("dev")
    stack = SageMakerStack(App(context=feature_flags()), "SageMaker", config=config,
                           env=Environment(region=config.region))
    template = Template.from_stack(stack).to_json()
    vpc_config = definition(template)["States"]["Train"]["Parameters"]["VpcConfig"]
    assert vpc_config["Subnets"] == ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    group = vpc_config["SecurityGroupIds"][0][2:-len(".GroupId}")]
    ingress = one(template, "AWS::EC2::SecurityGroupIngress")["Properties"]
    assert flat(ingress["SourceSecurityGroupId"]) == flat(ingress["GroupId"]) == f"${{{group}.GroupId}}"
    assert any("ec2:CreateNetworkInterface" in as_list(s["Action"]) for s in policy_statements(template))


def test_cost_report_prices_each_environments_baseline_and_schedule(capsys, synthesized):
    import importlib.util

    spec = importlib.util.spec_from_file_location("cost_report", ROOT / "scripts" / "cost_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--cdk-out", str(synthesized.outdir), "--reference-region", "us-east-1"]) == 0
    out = capsys.readouterr().out
    # staging: 2 x inf2.xlarge for 60 h/week (weekdays 07:00-19:00), 1 outside: 2 x 260.7 + 1 x 469.3 h a month
    assert re.search(r"staging\s+ml\.inf2\.xlarge\s+2\s+weekdays 07:00-19:00 Europe/Dublin \(else 1\)\s+990\.7", out)
    assert re.search(r"prod\s+ml\.inf2\.8xlarge\s+2\s+always on\s+1,460\.0", out)
    assert re.search(r"dev\s+ml\.inf2\.xlarge\s+1 \(off\).*endpoint disabled", out)
    assert "one planned fine-tuning run" in out
