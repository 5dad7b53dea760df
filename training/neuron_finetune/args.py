"""Hyperparameters of the Neuron fine-tuning job, parsed and validated without torch or the Neuron SDK.

SageMaker passes hyperparameters as ``--name value`` arguments (every value a string, booleans as ``True``/
``False``); both ``--learning-rate`` and ``--learning_rate`` spellings are accepted. Paths default to SageMaker's
environment (``SM_CHANNEL_TRAIN``, ``SM_CHANNEL_VALIDATION``, ``SM_MODEL_DIR``) and checkpoints go to
``/opt/ml/checkpoints``, the directory SageMaker syncs with ``checkpoint_s3_uri``.

:func:`parse_args` raises :class:`ArgsError` (a ``ValueError``) naming the bad hyperparameter and what is allowed;
the entry point turns it into exit status 2 before any Neuron compilation starts.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

try:  # imported as part of the package (tests, tools)
    from . import distributed
except ImportError:  # run as a script from its own folder (the SageMaker entry point)
    import distributed  # type: ignore[no-redef]

__all__ = ["ArgsError", "TrainArgs", "parse_args"]

CHECKPOINT_DIR = "/opt/ml/checkpoints"
_MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$")
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}
MAX_LEARNING_RATE = 0.1


class ArgsError(ValueError):
    """A hyperparameter is missing or invalid."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ArgsError(message)


@dataclass(frozen=True)
class TrainArgs:
    model_id: str
    epochs: int
    learning_rate: float
    per_device_batch_size: int
    gradient_accumulation_steps: int
    max_seq_length: int
    tensor_parallel_degree: int
    bf16: bool
    checkpoint_dir: str
    seed: int
    validation_fraction: float
    neuron_cores_per_instance: int
    train_dir: str
    validation_dir: str | None
    model_dir: str
    logging_steps: int
    save_steps: int
    max_steps: int

    @property
    def tp_groups_per_instance(self) -> int:
        return self.neuron_cores_per_instance // self.tensor_parallel_degree

    def global_batch_size(self, num_instances: int) -> int:
        """Sequences per optimizer step across the job: batch x accumulation x data-parallel replicas."""
        replicas = num_instances * self.tp_groups_per_instance
        return self.per_device_batch_size * self.gradient_accumulation_steps * replicas


def _bool(text: str) -> bool:
    value = str(text).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _flag(parser: argparse.ArgumentParser, name: str, **kwargs: object) -> None:
    """Register ``--a-b`` and its SageMaker-style ``--a_b`` spelling."""
    dashed = f"--{name}"
    underscored = f"--{name.replace('-', '_')}"
    options = [dashed] if dashed == underscored else [dashed, underscored]
    parser.add_argument(*options, dest=name.replace("-", "_"), **kwargs)  # type: ignore[arg-type]


def _parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = _Parser(prog="train.py", description="Fine-tune a causal LM on AWS Trainium (Neuron SDK).", allow_abbrev=False)
    _flag(parser, "model-id", required=True, help="Hugging Face model id (org/name) or a local directory")
    _flag(parser, "epochs", type=int, default=1)
    _flag(parser, "learning-rate", type=float, default=2e-5)
    _flag(parser, "per-device-batch-size", type=int, default=1)
    _flag(parser, "gradient-accumulation-steps", type=int, default=8)
    _flag(parser, "max-seq-length", type=int, default=2048)
    _flag(parser, "tensor-parallel-degree", type=int, default=8, help="must divide the NeuronCores per instance")
    _flag(parser, "bf16", type=_bool, default=True)
    _flag(parser, "checkpoint-dir", default=CHECKPOINT_DIR)
    _flag(parser, "seed", type=int, default=42)
    _flag(parser, "validation-fraction", type=float, default=0.05, help="held out when no validation channel")
    _flag(parser, "neuron-cores-per-instance", type=int, default=None, help="default: from SM_NUM_NEURONS")
    _flag(parser, "train-dir", default=env.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
    _flag(parser, "validation-dir", default=env.get("SM_CHANNEL_VALIDATION"))
    _flag(parser, "model-dir", default=env.get("SM_MODEL_DIR", "/opt/ml/model"))
    _flag(parser, "logging-steps", type=int, default=10)
    _flag(parser, "save-steps", type=int, default=500)
    _flag(parser, "max-steps", type=int, default=-1, help="-1: run all epochs")
    return parser


def _check_int(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ArgsError(f"--{name} must be between {low} and {high}, got {value}")


def parse_args(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> TrainArgs:
    """Parse and validate the job's hyperparameters (``env`` defaults to ``os.environ``)."""
    env = os.environ if env is None else env
    ns = _parser(env).parse_args(list(argv) if argv is not None else None)

    model_id = ns.model_id.strip()
    if not (_MODEL_ID_RE.match(model_id) or (model_id.startswith("/") and ".." not in model_id.split("/"))):
        raise ArgsError(
            f"--model-id must be a Hugging Face id such as meta-llama/Llama-3.1-8B or an absolute path, got {model_id!r}"
        )
    _check_int("epochs", ns.epochs, 1, 100)
    lr = ns.learning_rate
    if not math.isfinite(lr) or not 0 < lr <= MAX_LEARNING_RATE:
        raise ArgsError(f"--learning-rate must satisfy 0 < lr <= {MAX_LEARNING_RATE}, got {lr}")
    _check_int("per-device-batch-size", ns.per_device_batch_size, 1, 1024)
    _check_int("gradient-accumulation-steps", ns.gradient_accumulation_steps, 1, 4096)
    _check_int("max-seq-length", ns.max_seq_length, 16, 131072)
    _check_int("seed", ns.seed, 0, 2**32 - 1)
    _check_int("logging-steps", ns.logging_steps, 1, 1_000_000)
    _check_int("save-steps", ns.save_steps, 1, 1_000_000)
    if ns.max_steps != -1:
        _check_int("max-steps", ns.max_steps, 1, 100_000_000)
    vf = ns.validation_fraction
    if not math.isfinite(vf) or not 0 <= vf <= 0.5:
        raise ArgsError(f"--validation-fraction must be between 0 and 0.5, got {vf}")
    for name in ("checkpoint_dir", "train_dir", "model_dir"):
        if not str(getattr(ns, name)).startswith("/"):
            raise ArgsError(f"--{name.replace('_', '-')} must be an absolute path, got {getattr(ns, name)!r}")

    try:
        cores = distributed.cores_per_instance(env, ns.neuron_cores_per_instance)
    except distributed.DistributedError as exc:
        raise ArgsError(str(exc)) from None
    tp = ns.tensor_parallel_degree
    if tp < 1 or cores % tp:
        divisors = [d for d in range(1, cores + 1) if cores % d == 0]
        raise ArgsError(
            f"--tensor-parallel-degree {tp} must divide the {cores} NeuronCores of an instance; "
            f"allowed: {', '.join(map(str, divisors))}"
        )

    return TrainArgs(
        model_id=model_id,
        epochs=ns.epochs,
        learning_rate=lr,
        per_device_batch_size=ns.per_device_batch_size,
        gradient_accumulation_steps=ns.gradient_accumulation_steps,
        max_seq_length=ns.max_seq_length,
        tensor_parallel_degree=tp,
        bf16=ns.bf16,
        checkpoint_dir=ns.checkpoint_dir,
        seed=ns.seed,
        validation_fraction=vf,
        neuron_cores_per_instance=cores,
        train_dir=ns.train_dir,
        validation_dir=ns.validation_dir or None,
        model_dir=ns.model_dir,
        logging_steps=ns.logging_steps,
        save_steps=ns.save_steps,
        max_steps=ns.max_steps,
    )
