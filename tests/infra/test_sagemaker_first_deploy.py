"""What a first deploy of the SageMaker stack would hit (issue 19 items 1-3, issue 12 items 4, 6, 7), on the
synthesized templates of the committed environments: each test failed before its fix."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from aws_cdk import App, Environment
from aws_cdk.assertions import Template

from cdk.config import load_app_config
from stacks.sagemaker_stack import SageMakerStack
from tests.infra.synth import cdk_context, flat


@functools.cache
def template(env: str) -> dict[str, Any]:
    context = cdk_context()
    config = load_app_config(context).environment(env)
    flags = {key: value for key, value in context.items() if key.startswith("@")}
    stack = SageMakerStack(App(context=flags), "SageMaker", config=config, env=Environment(region=config.region))
    return Template.from_stack(stack).to_json()


def resources(env: str, resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template(env)["Resources"].values() if r["Type"] == resource_type]


def states(env: str) -> dict[str, Any]:
    (machine,) = resources(env, "AWS::StepFunctions::StateMachine")
    return json.loads(flat(machine["Properties"]["DefinitionString"]))["States"]


def statements(env: str) -> list[dict[str, Any]]:
    return [flat(s) for policy in resources(env, "AWS::IAM::ManagedPolicy")
            for s in policy["Properties"]["PolicyDocument"]["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_state_machine_may_tag_and_list_tags_of_its_own_training_jobs_only():
    """Issue 19 item 1: the .sync createTrainingJob integration tags the job (CDK's own task grants both)."""
    jobs = "arn:aws:sagemaker:eu-west-1:${AWS::AccountId}:training-job/genai-dev-ft-*"
    for action in ("sagemaker:AddTags", "sagemaker:ListTags"):
        granting = [s for s in statements("dev") if action in as_list(s["Action"])]
        assert granting, f"{action} is not granted"
        assert all(as_list(s["Resource"]) == [jobs] for s in granting), granting


def test_service_roles_trust_only_their_service_acting_for_this_account():
    """Issue 12 item 6: aws:SourceAccount / aws:SourceArn on the SageMaker and Step Functions trust policies."""
    expected = {
        "sagemaker.amazonaws.com": "arn:aws:sagemaker:eu-west-1:${AWS::AccountId}:*",
        "states.amazonaws.com": "arn:aws:states:eu-west-1:${AWS::AccountId}:stateMachine:*",
    }
    seen = set()
    for env in ("dev", "prod"):
        for role in resources(env, "AWS::IAM::Role"):
            for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
                service = statement["Principal"].get("Service")
                if service not in expected:
                    continue
                seen.add((env, service))
                assert flat(statement["Condition"]) == {
                    "StringEquals": {"aws:SourceAccount": "${AWS::AccountId}"},
                    "ArnLike": {"aws:SourceArn": expected[service]},
                }
    assert seen == {("dev", "sagemaker.amazonaws.com"), ("dev", "states.amazonaws.com"),
                    ("prod", "sagemaker.amazonaws.com")}


def test_the_pipeline_compiles_for_neuron_and_registers_exactly_the_compiled_shapes():
    """Issue 19 item 2: Train -> Export (optimum-cli export neuron) -> Register the export's artifacts."""
    machine = states("dev")
    # Export -> the fine-tuning gate (tests/infra/test_fine_tuning_gate.py) -> Register
    assert machine["Train"]["Next"] == "Export" and machine["Export"]["Next"] == "DescribeTrainingJob"
    assert {machine[s]["Next"] for s in ("PassGate", "RejectOverBaseline", "RejectNoMetric")} == {"Register"}
    export = machine["Export"]
    assert export["Resource"] == "arn:aws:states:::sagemaker:createTrainingJob.sync"
    params = export["Parameters"]
    assert params["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri.$"] == "$.training.ModelArtifacts"
    assert params["ResourceConfig"]["InstanceType"] == "ml.trn1.2xlarge" and params["EnableNetworkIsolation"] is True
    algorithm = params["AlgorithmSpecification"]
    assert algorithm["TrainingImage"].endswith("/huggingface-pytorch-tgi-inference:"
                                               "2.1.2-optimum0.0.27-neuronx-py310-ubuntu22.04")
    assert "optimum-cli export neuron" in algorithm["ContainerEntrypoint"][2]
    arguments = dict(zip(algorithm["ContainerArguments"][::2], algorithm["ContainerArguments"][1::2], strict=True))
    assert arguments == {"--batch_size": "4", "--sequence_length": "2048", "--num_cores": "2",
                         "--auto_cast_type": "bf16"}
    assert all(len(item) <= 256 for item in algorithm["ContainerEntrypoint"] + algorithm["ContainerArguments"])
    assert export["ResultSelector"]["ModelArtifacts.$"] == "$.ModelArtifacts.S3ModelArtifacts"

    container = machine["Register"]["Parameters"]["InferenceSpecification"]["Containers"][0]
    assert container["ModelDataUrl.$"] == "$.export.ModelArtifacts"
    environment = container["Environment"]
    assert environment["HF_MODEL_ID"] == "/opt/ml/model"
    # The registered serving settings are the compiled shapes, within TinyLlama's 2,048-token context.
    assert environment["HF_SEQUENCE_LENGTH"] == environment["MAX_TOTAL_TOKENS"] == arguments["--sequence_length"]
    assert environment["HF_BATCH_SIZE"] == environment["MAX_BATCH_SIZE"] == arguments["--batch_size"]
    assert environment["HF_NUM_CORES"] == arguments["--num_cores"]
    assert environment["HF_AUTO_CAST_TYPE"] == arguments["--auto_cast_type"]
    assert int(environment["MAX_INPUT_TOKENS"]) < int(environment["MAX_TOTAL_TOKENS"]) <= 2048
    # The export job runs in the serving image with the training role: it may pull that image.
    pulls = [r for s in statements("dev") if "ecr:BatchGetImage" in as_list(s["Action"]) for r in as_list(s["Resource"])]
    assert any(r.endswith("repository/huggingface-pytorch-tgi-inference") for r in pulls)


def test_staging_and_prod_serve_staged_neuron_weights_network_isolated():
    """Issue 19 item 3 + issue 12 item 4: no Hub download at start, isolation on, weights staged per account."""
    for env in ("staging", "prod"):
        (model,) = resources(env, "AWS::SageMaker::Model")
        props = model["Properties"]
        assert props["EnableNetworkIsolation"] is True
        container = props["PrimaryContainer"]
        assert container["Environment"]["HF_MODEL_ID"] == "/opt/ml/model"
        source = flat(container["ModelDataSource"])["S3DataSource"]
        assert source == {"S3Uri": "s3://genai-models-${AWS::AccountId}-eu-west-1/zephyr-7b-beta/"
                                   "neuron-b4-s4096-c2-bf16/", "S3DataType": "S3Prefix", "CompressionType": "None"}
        shape = container["Environment"]
        assert (shape["HF_BATCH_SIZE"], shape["HF_SEQUENCE_LENGTH"], shape["HF_NUM_CORES"],
                shape["HF_AUTO_CAST_TYPE"]) == ("4", "4096", "2", "bf16")


def test_data_capture_keeps_requests_only_and_expires_them():
    """Issue 12 item 7: responses are unscreened model output; the capture bucket has a retention."""
    for env in ("staging", "prod"):
        (config,) = resources(env, "AWS::SageMaker::EndpointConfig")
        capture = flat(config["Properties"]["DataCaptureConfig"])
        assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}]
        bucket = re.fullmatch(r"s3://\$\{(\w+)\}/capture", capture["DestinationS3Uri"]).group(1)
        rules = template(env)["Resources"][bucket]["Properties"]["LifecycleConfiguration"]["Rules"]
        assert any(rule.get("ExpirationInDays") == 30 for rule in rules)
