"""SageMaker training entry point: fine-tune a causal LM on AWS Trainium with the Neuron SDK.

Launched once per NeuronCore by SageMaker's ``torch_distributed`` launcher (torchrun), e.g. with the SageMaker
Python SDK::

    PyTorch(entry_point="train.py", source_dir="training/neuron_finetune", image_uri=<PyTorch Neuron training DLC>,
            instance_type="ml.trn1.32xlarge", instance_count=2, distribution={"torch_distributed": {"enabled": True}},
            checkpoint_s3_uri="s3://.../checkpoints", hyperparameters={"model-id": "...", "tensor-parallel-degree": 8})

Every process holds one NeuronCore; tensor parallelism shards each layer over ``tensor-parallel-degree`` cores of
the same instance (neuronx-distributed, through optimum-neuron), and the remaining factor is data parallelism
(with ZeRO-1 optimizer sharding) across cores and instances.

Nothing Neuron-specific is imported at module level: argument parsing, data loading and rank arithmetic live in
``args.py``, ``dataset.py`` and ``distributed.py`` and run (and are unit-tested) without torch; ``main()`` imports
torch, torch-xla and optimum-neuron only once the inputs are known to be valid. Logs carry counts and lengths,
never prompt or response text.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

try:  # imported as part of the package
    from . import args as args_lib
    from . import dataset as dataset_lib
    from . import distributed
    from . import metrics as metrics_lib
except ImportError:  # run as a script from its own folder (the SageMaker entry point)
    import args as args_lib  # type: ignore[no-redef]
    import dataset as dataset_lib  # type: ignore[no-redef]
    import distributed  # type: ignore[no-redef]
    import metrics as metrics_lib  # type: ignore[no-redef]

LOG = logging.getLogger("neuron_finetune")
FAILURE_FILE = "/opt/ml/output/failure"  # SageMaker shows its text as the job's FailureReason
EXIT_BAD_INPUT = 2


def _fail(message: str, env: Mapping[str, str]) -> int:
    LOG.error("%s", message)
    path = Path(env.get("SM_OUTPUT_FAILURE", FAILURE_FILE))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(message[:1024], encoding="utf-8")
    except OSError:  # not on SageMaker (or read-only): the log line is enough
        pass
    return EXIT_BAD_INPUT


def load_data(
    args: args_lib.TrainArgs,
) -> tuple[list[dataset_lib.Example], list[dataset_lib.Example]]:
    """Train/validation examples: the validation channel when there is one, else a deterministic split."""
    examples = dataset_lib.load_jsonl_files(args.train_dir)
    if args.validation_dir:
        return examples, dataset_lib.load_jsonl_files(args.validation_dir)
    return dataset_lib.split(examples, args.validation_fraction, args.seed)


def _neuron_environment(args: args_lib.TrainArgs) -> None:
    """Compiler settings that must be in place before torch-neuronx is imported."""
    os.environ.setdefault("NEURON_CC_FLAGS", "--model-type=transformer")
    # Keep compiled graphs with the checkpoints: SageMaker syncs that folder to S3, so a restarted job skips
    # most of the (long) first compilation.
    os.environ.setdefault("NEURON_COMPILE_CACHE_URL", os.path.join(args.checkpoint_dir, "neuron-compile-cache"))


def _existing_checkpoints(checkpoint_dir: str) -> list[str]:
    root = Path(checkpoint_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.startswith("checkpoint-"))


def run(args: args_lib.TrainArgs, layout: distributed.Layout) -> None:  # pragma: no cover - needs a Neuron device
    """Tokenize, fine-tune and save. Needs torch-neuronx, neuronx-distributed and optimum-neuron."""
    train_examples, validation_examples = load_data(args)
    if layout.is_main:
        LOG.info(
            "data: %d train / %d validation examples; world %d = %d instance(s) x %d cores; tp %d, dp %d",
            len(train_examples),
            len(validation_examples),
            layout.world_size,
            layout.num_nodes,
            layout.cores_per_node,
            layout.tp_degree,
            layout.dp_degree,
        )
    previous = _existing_checkpoints(args.checkpoint_dir)
    if previous and layout.is_main:
        LOG.warning(
            "found %d earlier checkpoint(s) in %s; optimum-neuron's NeuronTrainer cannot resume from them, "
            "training starts from the base model (compiled graphs are reused from the cache)",
            len(previous),
            args.checkpoint_dir,
        )

    _neuron_environment(args)
    import torch
    from optimum.neuron import NeuronTrainer, NeuronTrainingArguments
    from optimum.neuron.models.training import NeuronModelForCausalLM
    from transformers import AutoTokenizer, default_data_collator, set_seed

    set_seed(args.seed)
    tokenizer = AutoTokenizer.from_pretrained(args.model_id)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token

    def tokenize(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    encoded = [
        dataset_lib.encode_example(
            example,
            tokenize,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            max_length=args.max_seq_length,
        )
        for example in train_examples
    ]
    features = [item for item in encoded if item is not None]
    if layout.is_main and len(features) < len(encoded):
        LOG.warning(
            "%d example(s) dropped: the prompt fills max-seq-length %d", len(encoded) - len(features), args.max_seq_length
        )
    if not features:
        raise RuntimeError("no training example fits max-seq-length; raise it or shorten the prompts")
    held_out = [item for item in (
        dataset_lib.encode_example(example, tokenize, eos_token_id=tokenizer.eos_token_id,
                                   pad_token_id=tokenizer.pad_token_id, max_length=args.max_seq_length)
        for example in validation_examples) if item is not None]

    class _Features(torch.utils.data.Dataset):
        def __init__(self, rows: list[dict]) -> None:
            self.rows = rows

        def __len__(self) -> int:
            return len(self.rows)

        def __getitem__(self, index: int) -> dict:
            return {key: torch.tensor(value, dtype=torch.long) for key, value in self.rows[index].items()}

    training_args = NeuronTrainingArguments(
        output_dir=args.checkpoint_dir,
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        per_device_train_batch_size=args.per_device_batch_size,
        per_device_eval_batch_size=args.per_device_batch_size,
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        learning_rate=args.learning_rate,
        bf16=args.bf16,
        seed=args.seed,
        logging_steps=args.logging_steps,
        save_steps=args.save_steps,
        save_total_limit=2,
        dataloader_drop_last=True,
        tensor_parallel_size=args.tensor_parallel_degree,
        report_to=[],
    )
    model = NeuronModelForCausalLM.from_pretrained(
        args.model_id,
        training_args.trn_config,
        torch_dtype=torch.bfloat16 if args.bf16 else torch.float32,
    )
    trainer = NeuronTrainer(
        model=model,
        args=training_args,
        train_dataset=_Features(features),
        data_collator=default_data_collator,
        processing_class=tokenizer,
    )
    result = trainer.train()
    if layout.is_main:
        LOG.info("training done: %s", json.dumps({k: v for k, v in result.metrics.items() if isinstance(v, (int, float))}))
    # The fine-tuning gate's numbers: loss on the held-out split (collective: every rank evaluates its shard).
    # Not verified on a Neuron device: that optimum-neuron's NeuronTrainer.evaluate (transformers' Trainer API)
    # returns "eval_loss" for a causal LM with labels; without it the metric line says none and the gate rejects.
    eval_loss = math.nan
    if held_out:
        eval_loss = float(trainer.evaluate(eval_dataset=_Features(held_out)).get("eval_loss", math.nan))
    if layout.is_main:
        LOG.info("%s", metrics_lib.metric_line(eval_loss))

    # save_model is collective: every rank calls it, the ranks holding a shard write it
    if args.tensor_parallel_degree > 1:
        shards_dir = os.path.join(args.checkpoint_dir, "final")
        trainer.save_model(shards_dir)
        if layout.is_main:  # data-parallel replica 0 (ranks 0..tp-1) lives on the first instance
            from optimum.neuron.models.training import consolidate_model_parallel_checkpoints_to_unified_checkpoint

            consolidate_model_parallel_checkpoints_to_unified_checkpoint(shards_dir, args.model_dir)
    else:
        trainer.save_model(args.model_dir)
    if layout.is_main:
        from transformers import AutoConfig

        write_serving_files(args.model_dir, config=AutoConfig.from_pretrained(args.model_id), tokenizer=tokenizer)
        _save_validation(validation_examples, os.environ)


# What the Neuron export (``optimum-cli export neuron --model <dir>``) and any transformers loader need besides the
# weights: the architecture (config.json) and the tokenizer. Consolidating tensor-parallel shards writes weights only.
SERVING_FILES = ("config.json", "tokenizer_config.json")
WEIGHT_SUFFIXES = (".safetensors", ".bin")


class IncompleteModelError(RuntimeError):
    """The model directory lacks a file the export step needs."""


def write_serving_files(model_dir: str, *, config: Any, tokenizer: Any) -> None:
    """Write the model's config.json (dtype of the merged weights) and tokenizer beside the merged weights, then check
    that the directory is a loadable Hugging Face model."""
    config.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    check_model_dir(model_dir)


def check_model_dir(model_dir: str) -> None:
    root = Path(model_dir)
    missing = [name for name in SERVING_FILES if not (root / name).is_file()]
    if not any(path.name.endswith(WEIGHT_SUFFIXES) for path in root.glob("*")):
        missing.append("weights (*.safetensors)")
    if missing:
        raise IncompleteModelError(f"{model_dir} lacks {', '.join(missing)}: the Neuron export step cannot load it")


def _save_validation(examples: Sequence[dataset_lib.Example], env: Mapping[str, str]) -> None:
    """Keep the held-out examples with the job's output, beside the metrics the gate read from them."""
    if not examples:
        return
    out = Path(env.get("SM_OUTPUT_DATA_DIR", "/opt/ml/output/data")) / "validation.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        for example in examples:
            handle.write(json.dumps({"prompt": example.prompt, "response": example.response}) + "\n")
    LOG.info("wrote %d validation example(s) to %s", len(examples), out)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        args = args_lib.parse_args(argv, env)
        layout = distributed.layout_from_env(
            env, tp_degree=args.tensor_parallel_degree, cores_override=args.neuron_cores_per_instance
        )
    except (args_lib.ArgsError, distributed.DistributedError) as exc:
        return _fail(f"invalid hyperparameters or cluster: {exc}", env)
    try:
        run(args, layout)
    except dataset_lib.DatasetError as exc:
        return _fail(str(exc), env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
