"""Hyperparameter validation of the Neuron fine-tuning job."""

from __future__ import annotations

import pytest

from training.neuron_finetune.args import ArgsError, parse_args

ENV = {"SM_NUM_NEURONS": "32", "SM_CHANNEL_TRAIN": "/opt/ml/input/data/train", "SM_MODEL_DIR": "/opt/ml/model"}


def test_defaults_come_from_sagemaker_env():
    args = parse_args(["--model-id", "meta-llama/Llama-3.1-8B"], ENV)
    assert args.model_id == "meta-llama/Llama-3.1-8B"
    assert args.neuron_cores_per_instance == 32
    assert args.tensor_parallel_degree == 8
    assert args.tp_groups_per_instance == 4
    assert args.train_dir == "/opt/ml/input/data/train"
    assert args.validation_dir is None
    assert args.model_dir == "/opt/ml/model"
    assert args.checkpoint_dir == "/opt/ml/checkpoints"
    assert args.bf16 is True
    assert args.seed == 42


def test_sagemaker_style_hyperparameters():
    # SageMaker passes every hyperparameter as a string, with the key as written in the estimator
    args = parse_args(
        [
            "--model_id", "Qwen/Qwen3-0.6B",
            "--epochs", "3",
            "--learning_rate", "5e-5",
            "--per_device_batch_size", "2",
            "--gradient_accumulation_steps", "4",
            "--max_seq_length", "1024",
            "--tensor_parallel_degree", "2",
            "--bf16", "False",
            "--seed", "7",
            "--validation_fraction", "0.1",
        ],
        ENV,
    )  # fmt: skip
    assert (args.epochs, args.learning_rate, args.per_device_batch_size) == (3, 5e-5, 2)
    assert (args.gradient_accumulation_steps, args.max_seq_length, args.tensor_parallel_degree) == (4, 1024, 2)
    assert args.bf16 is False
    assert args.seed == 7
    assert args.validation_fraction == 0.1
    assert args.global_batch_size(num_instances=2) == 2 * 4 * (2 * 16)


def test_local_model_directory_is_accepted():
    assert parse_args(["--model-id", "/opt/ml/input/data/model"], ENV).model_id == "/opt/ml/input/data/model"


@pytest.mark.parametrize(("tp", "cores"), [("3", "32"), ("64", "32"), ("0", "32"), ("8", "2")])
def test_tensor_parallel_degree_must_divide_the_cores(tp, cores):
    with pytest.raises(ArgsError, match=f"must divide the {cores} NeuronCores") as info:
        parse_args(["--model-id", "m/x", "--tensor-parallel-degree", tp], {**ENV, "SM_NUM_NEURONS": cores})
    if cores == "32":
        assert "allowed: 1, 2, 4, 8, 16, 32" in str(info.value)


def test_cores_from_instance_type_when_neuron_ls_reported_nothing():
    env = {"SM_NUM_NEURONS": "0", "SM_CURRENT_INSTANCE_TYPE": "ml.trn1.2xlarge"}
    with pytest.raises(ArgsError, match=r"allowed: 1, 2$"):
        parse_args(["--model-id", "m/x"], env)
    assert parse_args(["--model-id", "m/x", "--tensor-parallel-degree", "2"], env).neuron_cores_per_instance == 2


def test_explicit_core_count_wins():
    args = parse_args(["--model-id", "m/x", "--neuron-cores-per-instance", "64", "--tensor-parallel-degree", "16"], ENV)
    assert args.neuron_cores_per_instance == 64


def test_unknown_core_count_is_an_error():
    with pytest.raises(ArgsError, match="cannot tell how many NeuronCores"):
        parse_args(["--model-id", "m/x"], {})


@pytest.mark.parametrize("lr", ["0", "-1e-5", "nan", "inf", "0.5", "abc"])
def test_bad_learning_rate(lr):
    with pytest.raises(ArgsError, match=r"learning.rate"):
        parse_args(["--model-id", "m/x", "--learning-rate", lr], ENV)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([], "--model-id"),
        (["--model-id", "../../etc/passwd"], "--model-id"),
        (["--model-id", "org/name/extra"], "--model-id"),
        (["--model-id", "m/x", "--epochs", "0"], "--epochs"),
        (["--model-id", "m/x", "--epochs", "1.5"], "epochs"),
        (["--model-id", "m/x", "--per-device-batch-size", "0"], "--per-device-batch-size"),
        (["--model-id", "m/x", "--gradient-accumulation-steps", "0"], "--gradient-accumulation-steps"),
        (["--model-id", "m/x", "--max-seq-length", "8"], "--max-seq-length"),
        (["--model-id", "m/x", "--bf16", "maybe"], "true or false"),
        (["--model-id", "m/x", "--seed", "-1"], "--seed"),
        (["--model-id", "m/x", "--validation-fraction", "0.9"], "--validation-fraction"),
        (["--model-id", "m/x", "--checkpoint-dir", "checkpoints"], "absolute path"),
        (["--model-id", "m/x", "--max-steps", "0"], "--max-steps"),
        (["--model-id", "m/x", "--lr", "1e-5"], "unrecognized"),
        (["--model-id", "m/x", "--model", "y"], "unrecognized"),
    ],
)
def test_bad_hyperparameters(argv, fragment):
    with pytest.raises(ArgsError, match=fragment):
        parse_args(argv, ENV)


def test_args_error_is_a_value_error():
    assert issubclass(ArgsError, ValueError)
