"""The ``sagemaker.training`` section: the Trainium fine-tuning pipeline and its Neuron export step.

::

    "training": {
      "enabled": true, "instance_type": "ml.trn1.2xlarge",
      "hyperparameters": {"model-id": "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "tensor-parallel-degree": 2},
      "export": {"batch_size": 4, "max_input_tokens": 1536, "max_total_tokens": 2048, "num_cores": 2},
      "approval": {"max_perplexity": 20}
    }

After training, the pipeline compiles the merged model for Inferentia2 (``optimum-cli export neuron`` in the serving
image, on ``export.instance_type``) with the ``export`` shapes, and registers the compiled artifacts with exactly those
serving settings: ``PendingManualApproval`` when the training job's held-out perplexity is at most
``approval.max_perplexity``, else ``Rejected`` with the reason. ``export.max_total_tokens`` must fit the base model's
context (``hyperparameters.model-id``, from :mod:`cdk.planning.base_models`, or ``base_model_context_tokens`` for a
model not listed there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cdk.components.inferentia_endpoint.props import NeuronServing
from cdk.components.trainium_training.props import ApprovalGate, CapacityRetry
from cdk.config import sagemaker_fields as fields
from cdk.config.fields import ConfigError, Section
from cdk.planning.base_models import context_tokens
from cdk.planning.instances import CATALOG, INFERENTIA2_TYPES, TRAINIUM_TRAINING_TYPES

TRAINING_IMAGE_DEFAULT = ("pytorch-training-neuronx", "2.8.0-neuronx-py311-sdk2.26.1-ubuntu22.04")
# Trainium instances train on their local NVMe storage; SageMaker refuses a VolumeSizeInGB larger than it
# (ResourceConfig.VolumeSizeInGB). Sizes from the EC2 instance-type pages: trn1.2xlarge 1 x 474 GB,
# trn1.32xlarge / trn1n.32xlarge 4 x 1900 GB, trn2.48xlarge 4 x 1900 GB.
TRAINING_LOCAL_STORAGE_GB: Mapping[str, int] = MappingProxyType({
    "ml.trn1.2xlarge": 474,
    "ml.trn1.32xlarge": 7600,
    "ml.trn1n.32xlarge": 7600,
    "ml.trn2.48xlarge": 7600,
})
SAGEMAKER_MAX_RUNTIME_SECONDS = 28 * 24 * 3600  # StoppingCondition.MaxRuntimeInSeconds: at most 28 days
PREFIX_PATTERN = r"([A-Za-z0-9!_.*'()-]+/)+"
HYPERPARAMETER_KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,255}"
MAX_HYPERPARAMETER_VALUE = 2500
DEFAULT_EXPORT = NeuronServing(max_input_tokens=1536, max_total_tokens=2048)  # fits the default 2,048-token model


@dataclass(frozen=True)
class SpotConfig:
    enabled: bool = False
    max_wait_seconds: int = 2 * 24 * 3600


@dataclass(frozen=True)
class ExportSettings:
    """The Neuron export (compile) job and the shapes it compiles, which the model package registers."""

    instance_type: str = "ml.trn1.2xlarge"
    max_runtime_seconds: int = 3 * 3600
    serving: NeuronServing = DEFAULT_EXPORT


@dataclass(frozen=True)
class TrainingSettings:
    enabled: bool = False
    instance_type: str = "ml.trn1.2xlarge"
    instance_count: int = 1
    image_repository: str = TRAINING_IMAGE_DEFAULT[0]
    image_tag: str = TRAINING_IMAGE_DEFAULT[1]
    entry_point: str = "train.py"
    hyperparameters: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({
        "model-id": "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
        "epochs": "1",
        "tensor-parallel-degree": "2",
    }))
    volume_size_gb: int = 200
    max_runtime_seconds: int = 24 * 3600
    spot: SpotConfig = field(default_factory=SpotConfig)
    network_isolation: bool = False
    use_vpc: bool = False
    train_prefix: str = "datasets/train/"
    validation_prefix: str | None = None
    data_retention_days: int | None = None
    checkpoint_retention_days: int = 30
    capacity_retry: CapacityRetry = field(default_factory=CapacityRetry)
    export: ExportSettings = field(default_factory=ExportSettings)
    approval: ApprovalGate = field(default_factory=ApprovalGate)
    planned_params: float | None = None
    planned_tokens: float | None = None
    planned_mfu: float = 0.4

    @property
    def model_id(self) -> str:
        return self.hyperparameters.get("model-id") or self.hyperparameters["model_id"]


def _spot(section: Section) -> SpotConfig:
    d = SpotConfig()
    config = SpotConfig(
        enabled=section.boolean("enabled", d.enabled),
        max_wait_seconds=section.integer("max_wait_seconds", d.max_wait_seconds, minimum=1,
                                         maximum=SAGEMAKER_MAX_RUNTIME_SECONDS),
    )
    section.finish()
    return config


def _capacity_retry(section: Section) -> CapacityRetry:
    d = CapacityRetry()
    interval = section.integer("interval_seconds", d.interval_seconds, minimum=1, maximum=86_400)
    config = CapacityRetry(
        interval_seconds=interval,
        backoff_rate=section.number("backoff_rate", d.backoff_rate, minimum=1, maximum=10),
        max_attempts=section.integer("max_attempts", d.max_attempts, minimum=0, maximum=20),
        # Wait.SecondsPath accepts up to a year; a day between capacity checks is plenty.
        max_delay_seconds=section.integer("max_delay_seconds", d.max_delay_seconds, minimum=interval,
                                          maximum=86_400),
    )
    section.finish()
    return config


def _approval(section: Section) -> ApprovalGate:
    # A perplexity is exp(loss) >= 1; the upper bound only catches a typo (the gate would approve anything).
    config = ApprovalGate(max_perplexity=section.number("max_perplexity", ApprovalGate().max_perplexity, minimum=1,
                                                        maximum=1e6))
    section.finish()
    return config


def _export(section: Section, *, model_id: str, context_override: int | None) -> ExportSettings:
    d = ExportSettings()
    instance = fields.instance_type(section, "instance_type", d.instance_type, allowed=TRAINIUM_TRAINING_TYPES,
                                    role="the export job (a SageMaker training job)", other=INFERENTIA2_TYPES,
                                    other_role="Inferentia2 inference")
    context = context_override or context_tokens(model_id)
    config = ExportSettings(
        instance_type=instance,
        max_runtime_seconds=section.integer("max_runtime_seconds", d.max_runtime_seconds, minimum=60,
                                            maximum=SAGEMAKER_MAX_RUNTIME_SECONDS),
        serving=fields.serving(section, container="tgi", instance=instance, context_tokens=context,
                               context_source=f"base model {model_id}", defaults=d.serving),
    )
    section.finish()
    return config


def _hyperparameters(section: Section, key: str, default: Mapping[str, str], *, instance_type: str) -> dict[str, str]:
    raw = section.raw(key, None)
    path = section.child_path(key)
    if raw is None:
        raw = dict(default)
    if not isinstance(raw, Mapping):
        raise ConfigError(path, f"expected an object of name -> value, got {type(raw).__name__}")
    if len(raw) > 90:
        raise ConfigError(path, f"{len(raw)} hyperparameters; SageMaker accepts 100 and the pipeline sets 10")
    out: dict[str, str] = {}
    for name, value in raw.items():
        entry = f"{path}.{name}"
        if not re.fullmatch(HYPERPARAMETER_KEY_PATTERN, name):
            raise ConfigError(entry, "hyperparameter names are letters, digits, '_' and '-'")
        if name.startswith("sagemaker_"):
            raise ConfigError(entry, "sagemaker_* hyperparameters are set by the pipeline (entry_point, source, "
                                     "distribution); remove it")
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float, str)):
            text = str(value)
        else:
            raise ConfigError(entry, f"expected a string, number or boolean, got {type(value).__name__}")
        if len(text) > MAX_HYPERPARAMETER_VALUE:
            raise ConfigError(entry, f"is {len(text)} characters; SageMaker accepts at most {MAX_HYPERPARAMETER_VALUE}")
        out[name] = text
    if not any(name in out for name in ("model-id", "model_id")):
        raise ConfigError(path, "needs model-id: the Hugging Face model (or path) the entry point fine-tunes")
    cores = CATALOG[instance_type].neuron_cores
    for name in ("tensor-parallel-degree", "tensor_parallel_degree"):
        if name in out:
            divisors = [n for n in range(1, cores + 1) if cores % n == 0]
            try:
                degree = int(out[name])
            except ValueError:
                degree = 0
            if degree not in divisors:
                raise ConfigError(f"{path}.{name}",
                                  f"{out[name]!r} must divide the {cores} NeuronCores of {instance_type}; allowed "
                                  f"values: {', '.join(map(str, divisors))}")
    return out


def parse_training(section: Section, *, has_vpc: bool) -> TrainingSettings:
    d = TrainingSettings()
    enabled = section.boolean("enabled", d.enabled)
    use_vpc = section.boolean("use_vpc", d.use_vpc)
    if use_vpc and not has_vpc:
        raise ConfigError(section.child_path("use_vpc"),
                          "needs a VPC: declare network.vpc_id and its private subnets, or set use_vpc to false")
    instance_type = fields.instance_type(section, "instance_type", d.instance_type, allowed=TRAINIUM_TRAINING_TYPES,
                                         role="training", other=INFERENTIA2_TYPES, other_role="Inferentia2 inference")
    max_runtime = section.integer("max_runtime_seconds", d.max_runtime_seconds, minimum=1,
                                  maximum=SAGEMAKER_MAX_RUNTIME_SECONDS)
    spot = _spot(section.section("spot"))
    if spot.enabled and spot.max_wait_seconds < max_runtime:
        raise ConfigError(section.child_path("spot.max_wait_seconds"),
                          f"{spot.max_wait_seconds} is less than max_runtime_seconds ({max_runtime}); a spot job "
                          "waits for capacity and runs within max_wait, so max_wait must be >= max_runtime")
    local = TRAINING_LOCAL_STORAGE_GB[instance_type]
    volume = section.integer("volume_size_gb", d.volume_size_gb, minimum=1)
    if volume > local:
        raise ConfigError(section.child_path("volume_size_gb"),
                          f"{volume} GB exceeds the {local} GB local NVMe storage of {instance_type}, which SageMaker "
                          f"trains on; allowed: 1 to {local}")
    planned_params = fields.optional_positive(section, "planned_params")
    planned_tokens = fields.optional_positive(section, "planned_tokens")
    if planned_tokens is not None and planned_params is None:
        raise ConfigError(section.child_path("planned_tokens"), "needs planned_params (the model's parameter count)")
    hyperparameters = _hyperparameters(section, "hyperparameters", d.hyperparameters, instance_type=instance_type)
    model_id = hyperparameters.get("model-id") or hyperparameters["model_id"]
    image_repository, image_tag = fields.image(section, TRAINING_IMAGE_DEFAULT, "pytorch-training-neuronx")
    config = TrainingSettings(
        enabled=enabled,
        instance_type=instance_type,
        instance_count=section.integer("instance_count", d.instance_count, minimum=1, maximum=64),
        image_repository=image_repository,
        image_tag=image_tag,
        entry_point=section.string("entry_point", d.entry_point, pattern=r"[A-Za-z0-9_][A-Za-z0-9_./-]*\.py",
                                   pattern_hint="a Python file in training/neuron_finetune, such as train.py"),
        hyperparameters=MappingProxyType(hyperparameters),
        volume_size_gb=volume,
        max_runtime_seconds=max_runtime,
        spot=spot,
        network_isolation=section.boolean("network_isolation", d.network_isolation),
        use_vpc=use_vpc,
        train_prefix=section.string("train_prefix", d.train_prefix, pattern=PREFIX_PATTERN,
                                    pattern_hint="an S3 key prefix ending in /, such as datasets/train/"),
        validation_prefix=section.string("validation_prefix", None, pattern=PREFIX_PATTERN,
                                         pattern_hint="an S3 key prefix ending in /, such as datasets/validation/"),
        data_retention_days=section.integer("data_retention_days", None, minimum=1, maximum=36_500),
        checkpoint_retention_days=section.integer("checkpoint_retention_days", d.checkpoint_retention_days,
                                                  minimum=1, maximum=3650),
        capacity_retry=_capacity_retry(section.section("capacity_retry")),
        export=_export(section.section("export"), model_id=model_id,
                       context_override=fields.context_override(section)),
        approval=_approval(section.section("approval")),
        planned_params=planned_params,
        planned_tokens=planned_tokens,
        planned_mfu=section.number("planned_mfu", d.planned_mfu, minimum=0, maximum=1, exclusive_minimum=True),
    )
    section.finish()
    return config
