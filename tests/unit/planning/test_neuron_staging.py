"""The staging plan prints a compile that matches the endpoint's served shape and the S3 location it reads."""

from __future__ import annotations

from cdk.config import load_app_config
from cdk.planning.neuron_staging import main, staging_plan
from tests.infra.synth import cdk_context


def test_the_compile_command_and_the_upload_match_the_endpoints_shape():
    staging = load_app_config(cdk_context()).environment("staging")
    text = "\n".join(staging_plan(staging, model_id="HuggingFaceH4/zephyr-7b-beta", revision="abc"))
    assert "optimum-cli neuron cache lookup HuggingFaceH4/zephyr-7b-beta" in text
    assert "--revision abc" in text
    assert "--batch_size 4 --sequence_length 4096 --num_cores 2 --auto_cast_type bf16" in text
    assert "huggingface-pytorch-tgi-inference:2.1.2-optimum0.0.27-neuronx-py310-ubuntu22.04" in text
    assert "aws s3 sync ./compiled s3://genai-models-<account>-eu-west-1/zephyr-7b-beta/neuron-b4-s4096-c2-bf16/" \
        in text


def test_an_environment_without_an_endpoint_is_refused(capsys):
    assert main(["--env", "dev"]) == 2
    assert "no endpoint" in capsys.readouterr().err
