"""The ``sagemaker`` section: defaults, the committed environments, and every bad input failing with its key path."""

from __future__ import annotations

import pytest

from cdk.components.trainium_training.props import CapacityRetry
from cdk.config import ConfigError, load_app_config
from cdk.config.sagemaker import (
    CONTAINER_DEFAULTS,
    MIN_VOLUME_SIZE_GB,
    SageMakerConfig,
    volume_floor_gb,
)
from tests.infra.synth import cdk_context

PATH = "environments.dev.sagemaker"


def _load(sagemaker: dict, **environment) -> SageMakerConfig:
    env = {"region": "eu-west-1", "sagemaker": sagemaker, **environment}
    return load_app_config({"environments": {"dev": env}}).environment("dev").sagemaker


def _error(sagemaker: dict, **environment) -> ConfigError:
    with pytest.raises(ConfigError) as error:
        _load(sagemaker, **environment)
    return error.value


def test_defaults_disable_everything_and_validate_anyway():
    config = _load({})
    assert not config.endpoint.enabled and not config.training.enabled
    assert config.endpoint.instance_type == "ml.inf2.xlarge"
    assert (config.endpoint.image_repository, config.endpoint.image_tag) == CONTAINER_DEFAULTS["tgi"]
    assert config.endpoint.hf_model_id is None  # no model until an enabled endpoint names one
    assert config.training.instance_type == "ml.trn1.2xlarge"
    assert config.training.image_repository == "pytorch-training-neuronx"


def test_committed_environments():
    environments = {env.name: env.sagemaker for env in load_app_config(cdk_context()).environments}
    dev, staging, prod = environments["dev"], environments["staging"], environments["prod"]
    assert not dev.endpoint.enabled
    assert dev.training.enabled and dev.training.instance_type == "ml.trn1.2xlarge"
    assert staging.endpoint.enabled and staging.endpoint.instance_type == "ml.inf2.xlarge"
    assert staging.endpoint.schedule.enabled and staging.endpoint.autoscaling is not None
    assert staging.endpoint.schedule.off_hours_min_capacity < staging.endpoint.autoscaling.min_capacity
    assert staging.endpoint.autoscaling.schedule is not None
    assert prod.endpoint.enabled and prod.endpoint.instance_type.startswith("ml.inf2.")
    assert prod.endpoint.autoscaling is not None and prod.endpoint.autoscaling.max_capacity > 2
    assert prod.endpoint.deployment.traffic_routing == "canary"


def test_the_container_kind_picks_its_image_and_lmi_works():
    endpoint = _load({"endpoint": {"container": "lmi"}}).endpoint
    assert (endpoint.image_repository, endpoint.image_tag) == CONTAINER_DEFAULTS["lmi"]


def test_the_fine_tuning_gate_baseline_is_configurable():
    assert _load({}).training.approval.max_perplexity == 20.0
    assert _load({"training": {"approval": {"max_perplexity": 8.5}}}).training.approval.max_perplexity == 8.5


def test_capacity_backoff_is_exponential_and_capped():
    assert CapacityRetry(interval_seconds=60, backoff_rate=2, max_attempts=5, max_delay_seconds=600).delays() \
        == (60, 120, 240, 480, 600)
    retry = _load({"training": {"capacity_retry": {"interval_seconds": 120, "backoff_rate": 3, "max_attempts": 3}}})
    assert retry.training.capacity_retry.delays() == (120, 360, 1080)


def test_hyperparameters_become_strings():
    training = _load({"training": {"hyperparameters": {"model-id": "org/model", "epochs": 2, "bf16": True,
                                                       "learning-rate": 2e-5}}}).training
    assert dict(training.hyperparameters) == {"model-id": "org/model", "epochs": "2", "bf16": "true",
                                              "learning-rate": "2e-05"}


def test_volume_floor_grows_with_the_model():
    assert volume_floor_gb(None) == MIN_VOLUME_SIZE_GB
    assert volume_floor_gb(14.5) == 39  # 2 x 14.5 + 10
    assert volume_floor_gb(2) == MIN_VOLUME_SIZE_GB


def test_a_model_from_s3_or_the_artifacts_bucket():
    endpoint = _load({"endpoint": {"model_data_url": "s3://models-bucket/llm/zephyr/"}}).endpoint
    assert endpoint.model_from_s3 and endpoint.hf_model_id is None
    rolled = _load({"training": {"enabled": True},
                    "endpoint": {"model_artifacts_key": "output/genai-dev-ft-1/output/model.tar.gz"}}).endpoint
    assert rolled.model_artifacts_key.endswith("model.tar.gz") and rolled.model_from_s3


@pytest.mark.parametrize(
    ("sagemaker", "path", "fragments"),
    [
        # wrong instance family for the role
        ({"endpoint": {"instance_type": "ml.trn1.32xlarge"}}, "endpoint.instance_type",
         ["Trainium training instance type", "ml.inf2.xlarge"]),
        ({"training": {"instance_type": "ml.inf2.48xlarge"}}, "training.instance_type",
         ["Inferentia2 inference instance type", "ml.trn1.2xlarge"]),
        ({"endpoint": {"instance_type": "ml.g5.xlarge"}}, "endpoint.instance_type", ["allowed values: ml.inf2"]),
        # NeuronCores over the instance's count
        ({"endpoint": {"instance_type": "ml.inf2.8xlarge", "num_cores": 4}}, "endpoint.num_cores",
         ["4 NeuronCores", "ml.inf2.8xlarge, which has 2", "allowed: 1 to 2"]),
        ({"endpoint": {"instance_type": "ml.inf2.24xlarge", "num_cores": 24}}, "endpoint.num_cores",
         ["which has 12"]),
        ({"training": {"hyperparameters": {"model-id": "m", "tensor-parallel-degree": 4}}},
         "training.hyperparameters.tensor-parallel-degree", ["divide the 2 NeuronCores", "allowed values: 1, 2"]),
        ({"training": {"instance_type": "ml.trn1.32xlarge",
                       "hyperparameters": {"model-id": "m", "tensor-parallel-degree": 3}}},
         "training.hyperparameters.tensor-parallel-degree", ["32 NeuronCores", "1, 2, 4, 8, 16, 32"]),
        ({"endpoint": {"model_size_gb": 40}}, "endpoint.model_size_gb",
         ["40 GB of weights", "32 GiB of accelerator memory of 2 NeuronCores"]),
        # volume too small
        ({"endpoint": {"model_size_gb": 14.5, "volume_size_gb": 30}}, "endpoint.volume_size_gb",
         ["30 GB is too small", "2 x 14.5 GB", "allowed: 39 to 512"]),
        ({"endpoint": {"volume_size_gb": 20}}, "endpoint.volume_size_gb", ["documented minimum is 30 GB"]),
        ({"endpoint": {"volume_size_gb": 600}}, "endpoint.volume_size_gb", ["out of range"]),
        ({"training": {"volume_size_gb": 500}}, "training.volume_size_gb",
         ["474 GB local NVMe storage of ml.trn1.2xlarge"]),
        # zero or negative counts, min > max
        ({"endpoint": {"initial_instance_count": 0}}, "endpoint.initial_instance_count", ["out of range"]),
        ({"training": {"instance_count": -1}}, "training.instance_count", ["out of range"]),
        ({"endpoint": {"autoscaling": {"min_capacity": 0}}}, "endpoint.autoscaling.min_capacity", ["out of range"]),
        ({"endpoint": {"autoscaling": {"min_capacity": 3, "max_capacity": 2}}}, "endpoint.autoscaling.min_capacity",
         ["3 is greater than max_capacity (2)"]),
        ({"endpoint": {"initial_instance_count": 5, "autoscaling": {"enabled": True, "max_capacity": 4}}},
         "endpoint.initial_instance_count", ["within autoscaling min_capacity..max_capacity (1..4)"]),
        ({"endpoint": {"schedule": {"off_hours_min_capacity": 2, "off_hours_max_capacity": 1}}},
         "endpoint.schedule.off_hours_min_capacity", ["greater than off_hours_max_capacity"]),
        # spot: max_wait < max_runtime
        ({"training": {"max_runtime_seconds": 7200, "spot": {"enabled": True, "max_wait_seconds": 3600}}},
         "training.spot.max_wait_seconds", ["3600 is less than max_runtime_seconds (7200)"]),
        ({"training": {"max_runtime_seconds": 30 * 24 * 3600}}, "training.max_runtime_seconds", ["out of range"]),
        # the fine-tuning gate's baseline: a perplexity is >= 1
        ({"training": {"approval": {"max_perplexity": 0.5}}}, "training.approval.max_perplexity",
         ["out of range; allowed: [1, 1000000.0]"]),
        ({"training": {"approval": {"max_perplexity": "12"}}}, "training.approval.max_perplexity",
         ["expected a number"]),
        ({"training": {"approval": {"max_ppl": 12}}}, "training.approval.max_ppl", ["allowed keys: max_perplexity"]),
        # sampling percentage outside 0-100
        ({"endpoint": {"data_capture": {"sampling_percentage": 101}}}, "endpoint.data_capture.sampling_percentage",
         ["out of range; allowed: [0, 100]"]),
        ({"endpoint": {"data_capture": {"sampling_percentage": -5}}}, "endpoint.data_capture.sampling_percentage",
         ["out of range"]),
        # unknown container kind, bad serving settings
        ({"endpoint": {"container": "vllm"}}, "endpoint.container", ["allowed values: tgi, lmi"]),
        ({"endpoint": {"max_input_tokens": 4096, "max_total_tokens": 4096}}, "endpoint.max_input_tokens",
         ["must be less than max_total_tokens (4096)"]),
        ({"endpoint": {"auto_cast_type": "fp32"}}, "endpoint.auto_cast_type", ["allowed values: bf16, fp16"]),
        ({"endpoint": {"batch_size": 0}}, "endpoint.batch_size", ["out of range"]),
        ({"endpoint": {"image_tag": "2.1.2-gpu-py310"}}, "endpoint.image_tag", ["not a Neuron (neuronx) image tag"]),
        # model source
        ({"endpoint": {"hf_model_id": "a/b", "model_data_url": "s3://bucket/m/"}}, "endpoint.model_data_url",
         ["set exactly one of hf_model_id, model_data_url, model_artifacts_key"]),
        ({"endpoint": {"model_data_url": "https://bucket/model"}}, "endpoint.model_data_url", ["s3://bucket/"]),
        ({"endpoint": {"model_data_url": "s3://bucket/model.bin"}}, "endpoint.model_data_url",
         ["ending in .tar.gz", "ending in /"]),
        ({"endpoint": {"model_artifacts_key": "output/job/output/model.tar.gz"}}, "endpoint.model_artifacts_key",
         ["sagemaker.training.enabled to true"]),
        # deployment and schedule consistency
        ({"endpoint": {"deployment": {"traffic_routing": "canary"}}}, "endpoint.deployment.canary_instance_count",
         ["at most 50%", "as few as 1"]),
        ({"endpoint": {"initial_instance_count": 2, "deployment": {"traffic_routing": "canary"},
                       "autoscaling": {"enabled": True, "min_capacity": 2, "max_capacity": 3},
                       "schedule": {"enabled": True}}}, "endpoint.deployment.canary_instance_count", ["as few as 1"]),
        ({"endpoint": {"deployment": {"traffic_routing": "linear"}}}, "endpoint.deployment.traffic_routing",
         ["allowed values: all_at_once, canary"]),
        ({"endpoint": {"schedule": {"enabled": True}}}, "endpoint.schedule.enabled", ["enable autoscaling too"]),
        ({"endpoint": {"schedule": {"working_hours": "weekdays 8-20"}}}, "endpoint.schedule.working_hours",
         ["weekdays 08:00-20:00"]),
        ({"endpoint": {"schedule": {"timezone": "Mars/Olympus"}}}, "endpoint.schedule.timezone",
         ["not an IANA time zone"]),
        ({"endpoint": {"autoscaling": {"enabled": True, "max_capacity": 2}, "initial_instance_count": 2,
                       "schedule": {"enabled": True, "off_hours_max_capacity": 3}}},
         "endpoint.schedule.off_hours_max_capacity", ["exceeds autoscaling max_capacity (2)"]),
        # training inputs
        ({"training": {"hyperparameters": {"epochs": 1}}}, "training.hyperparameters", ["needs model-id"]),
        ({"training": {"hyperparameters": {"model-id": "m", "sagemaker_program": "x.py"}}},
         "training.hyperparameters.sagemaker_program", ["set by the pipeline"]),
        ({"training": {"hyperparameters": {"model-id": ["a"]}}}, "training.hyperparameters.model-id",
         ["expected a string, number or boolean"]),
        ({"training": {"use_vpc": True}}, "training.use_vpc", ["needs a VPC", "network.vpc_id"]),
        ({"training": {"planned_tokens": 1e9}}, "training.planned_tokens", ["needs planned_params"]),
        ({"training": {"planned_params": -7e9}}, "training.planned_params", ["out of range"]),
        ({"training": {"planned_mfu": 1.5}}, "training.planned_mfu", ["out of range"]),
        ({"training": {"train_prefix": "/abs"}}, "training.train_prefix", ["ending in /"]),
        ({"training": {"capacity_retry": {"interval_seconds": 600, "max_delay_seconds": 60}}},
         "training.capacity_retry.max_delay_seconds", ["out of range"]),
        ({"training": {"entry_point": "train.sh"}}, "training.entry_point", ["a Python file"]),
        # typos are caught
        ({"endpoint": {"instnce_type": "ml.inf2.xlarge"}}, "endpoint.instnce_type", ["did you mean 'instance_type'"]),
        ({"trainig": {}}, "trainig", ["did you mean 'training'"]),
    ],
)
def test_bad_values_name_the_key_and_what_is_allowed(sagemaker, path, fragments):
    error = _error(sagemaker)
    assert error.path == f"{PATH}.{path}", str(error)
    for fragment in fragments:
        assert fragment in str(error), str(error)


def test_use_vpc_is_accepted_when_the_environment_declares_one():
    network = {"vpc_id": "vpc-0123456789abcdef0", "vpc_cidr": "10.0.0.0/16", "availability_zones": ["eu-west-1a"],
               "private_subnet_ids": ["subnet-0123456789abcdef0"],
               "private_subnet_route_table_ids": ["rtb-0123456789abcdef0"]}
    assert _load({"training": {"use_vpc": True}}, network=network).training.use_vpc


# --------------------------------------------------------------------------- issue 19 items 2-3, issue 12 item 4

REVISION = "0123456789abcdef0123456789abcdef01234567"
HUB = {"enabled": True, "hf_model_id": "HuggingFaceH4/zephyr-7b-beta"}


def test_an_enabled_endpoint_needs_a_model_source():
    error = _error({"endpoint": {"enabled": True}})
    assert error.path == f"{PATH}.endpoint.model_data_url" and "needs a model" in str(error)


def test_a_hub_model_must_be_pinned_to_a_commit():
    error = _error({"endpoint": HUB}, removal_policy="destroy")
    assert error.path == f"{PATH}.endpoint.hf_model_revision" and "pin the Hub model" in str(error)
    pinned = _load({"endpoint": {**HUB, "hf_model_revision": REVISION}}, removal_policy="destroy").endpoint
    assert pinned.hf_model_revision == REVISION and not pinned.model_from_s3


def test_a_hub_download_where_data_is_kept_is_a_synth_error_unless_allowed():
    error = _error({"endpoint": {**HUB, "hf_model_revision": REVISION}}, removal_policy="retain")
    assert error.path == f"{PATH}.endpoint.hf_model_id"
    assert "keeps its data" in str(error) and "allow_hub_download" in str(error)
    allowed = _load({"endpoint": {**HUB, "hf_model_revision": REVISION, "allow_hub_download": True}},
                    removal_policy="retain").endpoint
    assert allowed.allow_hub_download and allowed.hf_model_id == HUB["hf_model_id"]


def test_shipped_staging_and_prod_serve_pre_compiled_weights_from_s3():
    environments = {env.name: env for env in load_app_config(cdk_context()).environments}
    for name in ("staging", "prod"):
        endpoint = environments[name].sagemaker.endpoint
        assert environments[name].retain_data and endpoint.model_from_s3 and endpoint.hf_model_id is None
        assert endpoint.model_data_url.endswith(f"/{endpoint.serving.shape_label}/")


def test_serving_shapes_must_fit_the_base_models_context():
    error = _error({"endpoint": {**HUB, "hf_model_revision": REVISION, "allow_hub_download": True,
                                 "max_total_tokens": 40_000, "max_input_tokens": 1000}})
    assert error.path == f"{PATH}.endpoint.max_total_tokens" and "32768-token context" in str(error)
    error = _error({"endpoint": {"model_data_url": "s3://models-bucket/m/", "base_model_context_tokens": 2048}})
    assert error.path == f"{PATH}.endpoint.max_total_tokens" and "4096 exceeds the 2048-token context" in str(error)


def test_a_2048_context_model_cannot_be_exported_for_4096_tokens():
    error = _error({"training": {"hyperparameters": {"model-id": "TinyLlama/TinyLlama-1.1B-Chat-v1.0"},
                                 "export": {"max_total_tokens": 4096, "max_input_tokens": 3072}}})
    assert error.path == f"{PATH}.training.export.max_total_tokens"
    assert "2048-token context of base model TinyLlama/TinyLlama-1.1B-Chat-v1.0" in str(error)
    unknown = _error({"training": {"hyperparameters": {"model-id": "org/m"}, "base_model_context_tokens": 1024}})
    assert unknown.path == f"{PATH}.training.export.max_total_tokens"
    export = _load({}).training.export
    assert export.serving.max_total_tokens == 2048 and export.instance_type == "ml.trn1.2xlarge"
    error = _error({"training": {"export": {"instance_type": "ml.inf2.xlarge"}}})
    assert error.path == f"{PATH}.training.export.instance_type"


def test_the_chat_template_follows_the_base_model_or_must_be_named():
    staged = {"enabled": True, "model_data_url": "s3://models-bucket/m/", "model_size_gb": 2}
    assert _load({"endpoint": {**staged, "base_model": "HuggingFaceH4/zephyr-7b-beta"}}).endpoint.chat_template == "zephyr"
    named = _load({"endpoint": {**staged, "base_model": "org/m", "chat_template": "llama3"}}).endpoint
    assert (named.base_model, named.chat_template) == ("org/m", "llama3")
    error = _error({"endpoint": staged})
    assert error.path == f"{PATH}.endpoint.chat_template" and "zephyr" in str(error) and "base_model" in str(error)
    error = _error({"endpoint": {**staged, "base_model": "org/m", "chat_template": "chatml"}})
    assert error.path == f"{PATH}.endpoint.chat_template" and "generic" in str(error)
    error = _error({"endpoint": {**HUB, "hf_model_revision": REVISION, "allow_hub_download": True, "base_model": "a/b"}})
    assert error.path == f"{PATH}.endpoint.base_model"


def test_a_fine_tuned_model_is_served_with_the_shapes_its_export_compiled():
    """The pipeline's export compiles the fine-tuned base model (TinyLlama, 2,048 tokens) for its own shapes; an
    endpoint serving those artifacts takes them as defaults, and the base model's template and context apply."""
    fine_tuned = {"enabled": True, "model_artifacts_key": "output/genai-dev-ft-abc/output/model.tar.gz"}
    endpoint = _load({"endpoint": fine_tuned, "training": {"enabled": True}}).endpoint
    export = _load({"training": {"enabled": True}}).training.export.serving
    assert endpoint.serving == export and endpoint.serving.max_total_tokens == 2048
    assert (endpoint.base_model, endpoint.chat_template) == ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "zephyr")
    error = _error({"endpoint": {**fine_tuned, "max_total_tokens": 4096, "max_input_tokens": 3072},
                    "training": {"enabled": True}})
    assert error.path == f"{PATH}.endpoint.max_total_tokens" and "2048-token context" in str(error)
