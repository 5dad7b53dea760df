"""The entry point: no Neuron import at module level, bad input fails fast with exit 2 and a failure reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from training.neuron_finetune import args as args_lib
from training.neuron_finetune import train

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("torch", "torch_xla", "torch_neuronx", "neuronx_distributed", "optimum", "transformers")


def test_importing_the_entry_point_pulls_in_no_neuron_stack():
    code = f"import sys, training.neuron_finetune.train as t; print([m for m in {HEAVY!r} if m in sys.modules])"
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    assert completed.stdout.strip() == "[]"


def test_bad_hyperparameters_exit_2_with_a_failure_reason(tmp_path):
    failure = tmp_path / "failure"
    env = {"SM_NUM_NEURONS": "32", "SM_OUTPUT_FAILURE": str(failure)}
    code = train.main(["--model-id", "m/x", "--tensor-parallel-degree", "3"], env)
    assert code == 2
    assert "must divide the 32 NeuronCores" in failure.read_text(encoding="utf-8")


def test_cluster_mismatch_exits_2(tmp_path):
    env = {
        "SM_NUM_NEURONS": "32",
        "SM_HOSTS": '["algo-1"]',
        "SM_CURRENT_HOST": "algo-2",
        "SM_OUTPUT_FAILURE": str(tmp_path / "failure"),
    }
    assert train.main(["--model-id", "m/x"], env) == 2


def test_runs_as_a_script_from_its_own_folder(tmp_path):
    # SageMaker runs `python train.py ...` inside source_dir, without the package around it
    env = {**os.environ, "SM_NUM_NEURONS": "32", "SM_OUTPUT_FAILURE": str(tmp_path / "failure")}
    completed = subprocess.run(
        [sys.executable, "train.py", "--model_id", "m/x", "--learning_rate", "2"],
        cwd=ROOT / "training" / "neuron_finetune",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "--learning-rate must satisfy 0 < lr <= 0.1" in completed.stderr


def test_load_data_uses_the_validation_channel_or_splits(tmp_path):
    train_dir, validation_dir = tmp_path / "train", tmp_path / "validation"
    train_dir.mkdir()
    validation_dir.mkdir()
    rows = [json.dumps({"prompt": f"p{i}", "response": f"r{i}"}) for i in range(20)]
    (train_dir / "data.jsonl").write_text("\n".join(rows), encoding="utf-8")
    (validation_dir / "data.jsonl").write_text(rows[0], encoding="utf-8")
    env = {"SM_NUM_NEURONS": "2", "SM_CHANNEL_TRAIN": str(train_dir)}
    split_args = args_lib.parse_args(["--model-id", "m/x", "--tensor-parallel-degree", "1", "--validation-fraction", "0.1"], env)
    train_part, held_out = train.load_data(split_args)
    assert (len(train_part), len(held_out)) == (18, 2)
    channel_args = args_lib.parse_args(
        ["--model-id", "m/x", "--tensor-parallel-degree", "1"], {**env, "SM_CHANNEL_VALIDATION": str(validation_dir)}
    )
    train_part, held_out = train.load_data(channel_args)
    assert (len(train_part), len(held_out)) == (20, 1)


class _SavesJson:
    """Stands in for a transformers config/tokenizer: save_pretrained writes its file(s)."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def save_pretrained(self, directory: str) -> None:
        for name in self.names:
            (Path(directory) / name).write_text("{}", encoding="utf-8")


def test_the_merged_model_gets_its_config_json_and_tokenizer(tmp_path):
    """Issue 19 item 2: consolidated weights alone cannot be exported for Neuron; config.json must be there."""
    (tmp_path / "model.safetensors").write_bytes(b"\0")
    train.write_serving_files(str(tmp_path), config=_SavesJson("config.json"),
                              tokenizer=_SavesJson("tokenizer_config.json", "tokenizer.json"))
    assert {p.name for p in tmp_path.iterdir()} >= {"config.json", "tokenizer_config.json", "model.safetensors"}


def test_a_model_dir_without_config_json_is_refused(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"\0")
    (tmp_path / "tokenizer_config.json").write_text("{}", encoding="utf-8")
    try:
        train.check_model_dir(str(tmp_path))
    except train.IncompleteModelError as error:
        assert "config.json" in str(error)
    else:
        raise AssertionError("a model directory without config.json passed")
