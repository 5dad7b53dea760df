"""The ``sagemaker`` section: the Inferentia2 real-time endpoint and the Trainium fine-tuning pipeline.

Every key has a default, so an environment states only what it overrides::

    "sagemaker": {
      "endpoint": {
        "enabled": true,
        "instance_type": "ml.inf2.8xlarge",
        "initial_instance_count": 2,
        "autoscaling": {"enabled": true, "min_capacity": 2, "max_capacity": 6},
        "deployment": {"traffic_routing": "canary"}
      },
      "training": {"enabled": true, "instance_type": "ml.trn1.32xlarge", "instance_count": 4}
    }

The endpoint serves one model from exactly one source:

- ``hf_model_id``: a Hugging Face Hub model id the container downloads at start-up (needs internet egress);
- ``model_data_url``: ``s3://bucket/key.tar.gz`` (compressed) or ``s3://bucket/prefix/`` (uncompressed);
- ``model_artifacts_key``: an object key (``.tar.gz``) or prefix (``/``) in this environment's training artifacts
  bucket. This is how an approved fine-tuned model is rolled onto the endpoint: approve the model package the
  training pipeline registered, then set ``model_artifacts_key`` to its artifacts, e.g.
  ``output/<training-job-name>/output/model.tar.gz``, and deploy (a blue/green update with auto-rollback).

A model from S3 runs with network isolation (the container gets no network access at all).

Neuron serving settings are validated against the instance: ``num_cores`` (``HF_NUM_CORES`` for TGI,
``OPTION_TENSOR_PARALLEL_DEGREE`` for LMI) must fit the NeuronCores of the ``ml.inf2.*`` size, and
``max_input_tokens`` must be below ``max_total_tokens``. Instance facts come from :mod:`cdk.planning.instances`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cdk.config.fields import ConfigError, Section
from cdk.planning.instances import CATALOG, INFERENTIA2_TYPES, TRAINIUM_TRAINING_TYPES

# ---------------------------------------------------------------------------------------------------------------
# Facts the validation relies on
# ---------------------------------------------------------------------------------------------------------------

# Neuron deep-learning containers (AWS DLC registry; the registry account per region is in
# cdk/components/neuron_dlc/registry.py). Defaults are the newest tags the SageMaker Python SDK's image_uri_config
# lists for Inferentia2 (huggingface-llm-neuronx 0.0.27, djl-neuronx 0.30.0) and a current Neuron SDK 2.26 training
# image; pin newer tags per environment with image_repository / image_tag.
CONTAINER_DEFAULTS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "tgi": ("huggingface-pytorch-tgi-inference", "2.1.2-optimum0.0.27-neuronx-py310-ubuntu22.04"),
    "lmi": ("djl-inference", "0.30.0-neuronx-sdk2.20.1"),
})
CONTAINER_KINDS = tuple(CONTAINER_DEFAULTS)
TRAINING_IMAGE_DEFAULT = ("pytorch-training-neuronx", "2.8.0-neuronx-py311-sdk2.26.1-ubuntu22.04")
AUTO_CAST_TYPES = ("bf16", "fp16")
TRAFFIC_ROUTING = ("all_at_once", "canary")

# Endpoint storage: SageMaker accepts 1-512 GB (ProductionVariant.VolumeSizeInGB). The volume holds the downloaded
# weights and the Neuron-compiled artifacts, so with a known model size it must hold both plus container scratch.
MIN_VOLUME_SIZE_GB = 30
MAX_VOLUME_SIZE_GB = 512
VOLUME_SCRATCH_GB = 10


def volume_floor_gb(model_size_gb: float | None) -> int:
    """The smallest endpoint volume for a model: weights + compiled artifacts (2x) + 10 GB scratch, at least 30."""
    if model_size_gb is None:
        return MIN_VOLUME_SIZE_GB
    return max(MIN_VOLUME_SIZE_GB, math.ceil(2 * model_size_gb) + VOLUME_SCRATCH_GB)


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
S3_URL_PATTERN = r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^\s]+"
HF_MODEL_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?"
OBJECT_KEY_PATTERN = r"[A-Za-z0-9!_.*'()/-]{1,1024}"
PREFIX_PATTERN = r"([A-Za-z0-9!_.*'()-]+/)+"
CATALOG_ID_PATTERN = r"[a-z0-9][a-z0-9._:-]{0,63}"
HYPERPARAMETER_KEY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,255}"
MAX_HYPERPARAMETER_VALUE = 2500


# ---------------------------------------------------------------------------------------------------------------
# Endpoint
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataCaptureConfig:
    enabled: bool = True
    sampling_percentage: int = 10
    retention_days: int = 30


@dataclass(frozen=True)
class DeploymentConfig:
    """Blue/green update policy with auto-rollback on alarms this stack creates."""

    traffic_routing: str = "all_at_once"
    canary_instance_count: int = 1
    wait_seconds: int = 600
    termination_wait_seconds: int = 300
    rollback_5xx_count: int = 1
    rollback_latency_p99_ms: int = 60_000


@dataclass(frozen=True)
class AutoscalingConfig:
    enabled: bool = False
    min_capacity: int = 1
    max_capacity: int = 1
    target_invocations_per_instance: int = 20
    scale_in_cooldown_seconds: int = 600
    scale_out_cooldown_seconds: int = 300


@dataclass(frozen=True)
class ScheduleConfig:
    """Outside ``working_hours`` the endpoint's capacity is capped at the off-hours range."""

    enabled: bool = False
    working_hours: str = "weekdays 08:00-20:00"
    timezone: str = "UTC"
    off_hours_min_capacity: int = 1
    off_hours_max_capacity: int = 1


@dataclass(frozen=True)
class EndpointSettings:
    enabled: bool = False
    instance_type: str = "ml.inf2.xlarge"
    initial_instance_count: int = 1
    container: str = "tgi"
    image_repository: str = CONTAINER_DEFAULTS["tgi"][0]
    image_tag: str = CONTAINER_DEFAULTS["tgi"][1]
    hf_model_id: str | None = "HuggingFaceH4/zephyr-7b-beta"
    model_data_url: str | None = None
    model_artifacts_key: str | None = None
    model_size_gb: float | None = None
    catalog_id: str = "sagemaker-neuron-llm"
    num_cores: int = 2
    batch_size: int = 4
    max_input_tokens: int = 3072
    max_total_tokens: int = 4096
    auto_cast_type: str = "bf16"
    volume_size_gb: int = 64
    startup_health_check_timeout_seconds: int = 1800
    model_data_download_timeout_seconds: int = 1800
    data_capture: DataCaptureConfig = field(default_factory=DataCaptureConfig)
    deployment: DeploymentConfig = field(default_factory=DeploymentConfig)
    autoscaling: AutoscalingConfig = field(default_factory=AutoscalingConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)

    @property
    def model_from_s3(self) -> bool:
        return self.hf_model_id is None

    @property
    def max_new_tokens(self) -> int:
        return self.max_total_tokens - self.max_input_tokens

    @property
    def baseline_capacity(self) -> int:
        """Instances that run whatever the traffic (inside working hours when a schedule applies)."""
        return self.autoscaling.min_capacity if self.autoscaling.enabled else self.initial_instance_count


# ---------------------------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpotConfig:
    enabled: bool = False
    max_wait_seconds: int = 2 * 24 * 3600


@dataclass(frozen=True)
class CapacityRetryConfig:
    """Exponential backoff for Trainium capacity shortages: interval * backoff_rate**n, capped at max_delay."""

    interval_seconds: int = 300
    backoff_rate: float = 2.0
    max_attempts: int = 5
    max_delay_seconds: int = 3600

    def delays(self) -> tuple[int, ...]:
        """The wait before each retry attempt, in seconds."""
        return tuple(
            min(self.max_delay_seconds, round(self.interval_seconds * self.backoff_rate**attempt))
            for attempt in range(self.max_attempts)
        )


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
    capacity_retry: CapacityRetryConfig = field(default_factory=CapacityRetryConfig)
    planned_params: float | None = None
    planned_tokens: float | None = None
    planned_mfu: float = 0.4


@dataclass(frozen=True)
class SageMakerConfig:
    endpoint: EndpointSettings = field(default_factory=EndpointSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)


# ---------------------------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------------------------


def _instance_type(section: Section, key: str, default: str, *, allowed: frozenset[str], role: str,
                   other: frozenset[str], other_role: str) -> str:
    value = section.string(key, default)
    path = section.child_path(key)
    if not isinstance(value, str):
        raise ConfigError(path, f"expected a string, got {type(value).__name__}")
    if value in other:
        raise ConfigError(path, f"{value!r} is an {other_role} instance type; {role} runs on: "
                                f"{', '.join(sorted(allowed))}")
    if value not in allowed:
        raise ConfigError(path, f"{value!r} is not allowed; allowed values: {', '.join(sorted(allowed))}")
    return value


def _optional_positive(section: Section, key: str) -> float | None:
    return section.number(key, None, minimum=0, exclusive_minimum=True)


def _data_capture(section: Section) -> DataCaptureConfig:
    d = DataCaptureConfig()
    config = DataCaptureConfig(
        enabled=section.boolean("enabled", d.enabled),
        sampling_percentage=section.integer("sampling_percentage", d.sampling_percentage, minimum=0, maximum=100),
        retention_days=section.integer("retention_days", d.retention_days, minimum=1, maximum=3650),
    )
    section.finish()
    return config


def _deployment(section: Section) -> DeploymentConfig:
    d = DeploymentConfig()
    config = DeploymentConfig(
        traffic_routing=section.string("traffic_routing", d.traffic_routing, choices=TRAFFIC_ROUTING),
        canary_instance_count=section.integer("canary_instance_count", d.canary_instance_count, minimum=1,
                                              maximum=100),
        # TrafficRoutingConfig.WaitIntervalInSeconds and BlueGreenUpdatePolicy.TerminationWaitInSeconds: 0-3600.
        wait_seconds=section.integer("wait_seconds", d.wait_seconds, minimum=0, maximum=3600),
        termination_wait_seconds=section.integer("termination_wait_seconds", d.termination_wait_seconds, minimum=0,
                                                 maximum=3600),
        rollback_5xx_count=section.integer("rollback_5xx_count", d.rollback_5xx_count, minimum=1,
                                           maximum=1_000_000),
        rollback_latency_p99_ms=section.integer("rollback_latency_p99_ms", d.rollback_latency_p99_ms, minimum=1,
                                                maximum=900_000),
    )
    section.finish()
    return config


def _autoscaling(section: Section) -> AutoscalingConfig:
    d = AutoscalingConfig()
    config = AutoscalingConfig(
        enabled=section.boolean("enabled", d.enabled),
        # Instance-based variants cannot scale to zero (only inference components can).
        min_capacity=section.integer("min_capacity", d.min_capacity, minimum=1, maximum=100),
        max_capacity=section.integer("max_capacity", d.max_capacity, minimum=1, maximum=100),
        target_invocations_per_instance=section.integer("target_invocations_per_instance",
                                                        d.target_invocations_per_instance, minimum=1,
                                                        maximum=100_000),
        scale_in_cooldown_seconds=section.integer("scale_in_cooldown_seconds", d.scale_in_cooldown_seconds,
                                                  minimum=0, maximum=86_400),
        scale_out_cooldown_seconds=section.integer("scale_out_cooldown_seconds", d.scale_out_cooldown_seconds,
                                                   minimum=0, maximum=86_400),
    )
    if config.min_capacity > config.max_capacity:
        raise ConfigError(section.child_path("min_capacity"),
                          f"{config.min_capacity} is greater than max_capacity ({config.max_capacity}); "
                          "min_capacity must be <= max_capacity")
    section.finish()
    return config


def _timezone(path: str, value: str) -> str:
    if not re.fullmatch(r"[A-Za-z_]+(/[A-Za-z0-9_+\-]+)*", value):
        raise ConfigError(path, f"{value!r} is not an IANA time zone; expected a name such as UTC or Europe/Dublin")
    try:
        from zoneinfo import ZoneInfo, available_timezones

        if available_timezones():  # the machine has a tz database to check against
            ZoneInfo(value)
    except (ImportError, ValueError, KeyError, OSError):
        raise ConfigError(path, f"{value!r} is not an IANA time zone; expected a name such as UTC or "
                                "Europe/Dublin") from None
    return value


def _schedule(section: Section) -> ScheduleConfig:
    from cdk.planning.cost_report import Schedule, ScheduleError

    d = ScheduleConfig()
    enabled = section.boolean("enabled", d.enabled)
    working_hours = section.string("working_hours", d.working_hours)
    timezone = _timezone(section.child_path("timezone"), section.string("timezone", d.timezone))
    off_min = section.integer("off_hours_min_capacity", d.off_hours_min_capacity, minimum=1, maximum=100)
    off_max = section.integer("off_hours_max_capacity", d.off_hours_max_capacity, minimum=1, maximum=100)
    try:
        Schedule.parse(working_hours, off_hours_count=off_min, timezone=timezone)
    except ScheduleError as error:
        raise ConfigError(section.child_path("working_hours"), f"{error}") from None
    if off_min > off_max:
        raise ConfigError(section.child_path("off_hours_min_capacity"),
                          f"{off_min} is greater than off_hours_max_capacity ({off_max}); min must be <= max")
    section.finish()
    return ScheduleConfig(enabled=enabled, working_hours=working_hours, timezone=timezone,
                          off_hours_min_capacity=off_min, off_hours_max_capacity=off_max)


def _endpoint(section: Section, *, training_enabled: bool) -> EndpointSettings:
    d = EndpointSettings()
    enabled = section.boolean("enabled", d.enabled)
    instance_type = _instance_type(section, "instance_type", d.instance_type, allowed=INFERENTIA2_TYPES,
                                   role="the real-time endpoint", other=TRAINIUM_TRAINING_TYPES,
                                   other_role="Trainium training")
    instance = CATALOG[instance_type]
    initial = section.integer("initial_instance_count", d.initial_instance_count, minimum=1, maximum=100)
    container = section.string("container", d.container, choices=CONTAINER_KINDS)
    default_repository, default_tag = CONTAINER_DEFAULTS[container]
    repository = section.string("image_repository", default_repository, pattern=r"[a-z0-9][a-z0-9._/-]{1,255}",
                                pattern_hint="an ECR repository name such as huggingface-pytorch-tgi-inference")
    tag = section.string("image_tag", default_tag, pattern=r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}",
                         pattern_hint="a Docker image tag")
    if "neuronx" not in tag:
        raise ConfigError(section.child_path("image_tag"),
                          f"{tag!r} is not a Neuron (neuronx) image tag; Inferentia2 needs e.g. {default_tag!r}")

    # Exactly one model source.
    sources = {key: section.raw(key, None) for key in ("hf_model_id", "model_data_url", "model_artifacts_key")}
    given = [key for key, value in sources.items() if value is not None]
    if len(given) > 1:
        raise ConfigError(section.child_path(given[1]),
                          f"conflicts with {given[0]}; set exactly one of hf_model_id, model_data_url, "
                          "model_artifacts_key")
    hf_model_id = model_data_url = artifacts_key = None
    if not given or given[0] == "hf_model_id":
        hf_model_id = section.string("hf_model_id", d.hf_model_id, pattern=HF_MODEL_ID_PATTERN,
                                     pattern_hint="a Hugging Face model id such as HuggingFaceH4/zephyr-7b-beta")
    elif given[0] == "model_data_url":
        model_data_url = section.string("model_data_url", pattern=S3_URL_PATTERN,
                                        pattern_hint="s3://bucket/key.tar.gz or s3://bucket/prefix/")
        _check_model_object(section.child_path("model_data_url"), model_data_url.split("/", 3)[3])
    else:
        artifacts_key = section.string("model_artifacts_key", pattern=OBJECT_KEY_PATTERN,
                                       pattern_hint="an object key such as output/<job>/output/model.tar.gz")
        _check_model_object(section.child_path("model_artifacts_key"), artifacts_key)
        if not training_enabled:
            raise ConfigError(section.child_path("model_artifacts_key"),
                              "needs the training artifacts bucket: set sagemaker.training.enabled to true, or "
                              "use model_data_url / hf_model_id")

    model_size_gb = _optional_positive(section, "model_size_gb")
    num_cores = section.integer("num_cores", d.num_cores, minimum=1)
    if num_cores > instance.neuron_cores:
        raise ConfigError(section.child_path("num_cores"),
                          f"{num_cores} NeuronCores do not fit {instance_type}, which has {instance.neuron_cores}; "
                          f"allowed: 1 to {instance.neuron_cores} (or a larger ml.inf2 size)")
    if model_size_gb is not None:
        hbm = instance.accelerator_memory_gib * num_cores / instance.neuron_cores
        if model_size_gb > hbm:
            raise ConfigError(section.child_path("model_size_gb"),
                              f"{model_size_gb:g} GB of weights do not fit the {hbm:g} GiB of accelerator memory of "
                              f"{num_cores} NeuronCores on {instance_type}; raise num_cores or choose a larger size")
    batch_size = section.integer("batch_size", d.batch_size, minimum=1, maximum=256)
    max_total = section.integer("max_total_tokens", d.max_total_tokens, minimum=2, maximum=131_072)
    max_input = section.integer("max_input_tokens", d.max_input_tokens, minimum=1, maximum=131_072)
    if max_input >= max_total:
        raise ConfigError(section.child_path("max_input_tokens"),
                          f"{max_input} must be less than max_total_tokens ({max_total}): the total includes the "
                          "input and at least one generated token")
    auto_cast = section.string("auto_cast_type", d.auto_cast_type, choices=AUTO_CAST_TYPES)
    volume = section.integer("volume_size_gb", d.volume_size_gb, minimum=1, maximum=MAX_VOLUME_SIZE_GB)
    floor = volume_floor_gb(model_size_gb)
    if volume < floor:
        why = (f"a {model_size_gb:g} GB model needs 2 x {model_size_gb:g} GB (weights and Neuron-compiled "
               f"artifacts) + {VOLUME_SCRATCH_GB} GB scratch" if model_size_gb is not None
               else f"the documented minimum is {MIN_VOLUME_SIZE_GB} GB")
        raise ConfigError(section.child_path("volume_size_gb"),
                          f"{volume} GB is too small: {why}; allowed: {floor} to {MAX_VOLUME_SIZE_GB}")

    autoscaling = _autoscaling(section.section("autoscaling"))
    if autoscaling.enabled and not autoscaling.min_capacity <= initial <= autoscaling.max_capacity:
        raise ConfigError(section.child_path("initial_instance_count"),
                          f"{initial} must lie within autoscaling min_capacity..max_capacity "
                          f"({autoscaling.min_capacity}..{autoscaling.max_capacity})")
    schedule = _schedule(section.section("schedule"))
    if schedule.enabled:
        if not autoscaling.enabled:
            raise ConfigError(section.child_path("schedule.enabled"),
                              "a scale-down schedule sets the autoscaling capacity; enable autoscaling too")
        if schedule.off_hours_max_capacity > autoscaling.max_capacity:
            raise ConfigError(section.child_path("schedule.off_hours_max_capacity"),
                              f"{schedule.off_hours_max_capacity} exceeds autoscaling max_capacity "
                              f"({autoscaling.max_capacity}); off hours scale down, not up")
    deployment = _deployment(section.section("deployment"))
    if deployment.traffic_routing == "canary":
        lowest = initial
        if autoscaling.enabled:
            lowest = autoscaling.min_capacity
        if schedule.enabled:
            lowest = min(lowest, schedule.off_hours_min_capacity)
        if deployment.canary_instance_count * 2 > lowest:
            raise ConfigError(section.child_path("deployment.canary_instance_count"),
                              f"a canary of {deployment.canary_instance_count} instance(s) must be at most 50% of "
                              f"the variant's instances, which can be as few as {lowest}; use traffic_routing "
                              "'all_at_once' or more instances")
    config = EndpointSettings(
        enabled=enabled,
        instance_type=instance_type,
        initial_instance_count=initial,
        container=container,
        image_repository=repository,
        image_tag=tag,
        hf_model_id=hf_model_id,
        model_data_url=model_data_url,
        model_artifacts_key=artifacts_key,
        model_size_gb=model_size_gb,
        catalog_id=section.string("catalog_id", d.catalog_id, pattern=CATALOG_ID_PATTERN,
                                  pattern_hint="lower-case letters, digits and . _ : - (at most 64)"),
        num_cores=num_cores,
        batch_size=batch_size,
        max_input_tokens=max_input,
        max_total_tokens=max_total,
        auto_cast_type=auto_cast,
        volume_size_gb=volume,
        # ProductionVariant.ContainerStartupHealthCheckTimeoutInSeconds / ModelDataDownloadTimeoutInSeconds: 60-3600.
        startup_health_check_timeout_seconds=section.integer(
            "startup_health_check_timeout_seconds", d.startup_health_check_timeout_seconds, minimum=60, maximum=3600),
        model_data_download_timeout_seconds=section.integer(
            "model_data_download_timeout_seconds", d.model_data_download_timeout_seconds, minimum=60, maximum=3600),
        data_capture=_data_capture(section.section("data_capture")),
        deployment=deployment,
        autoscaling=autoscaling,
        schedule=schedule,
    )
    section.finish()
    return config


def _check_model_object(path: str, key: str) -> None:
    if not (key.endswith(".tar.gz") or key.endswith("/")):
        raise ConfigError(path, f"{key!r} must name a model archive ending in .tar.gz or an uncompressed prefix "
                                "ending in /")


def _spot(section: Section) -> SpotConfig:
    d = SpotConfig()
    config = SpotConfig(
        enabled=section.boolean("enabled", d.enabled),
        max_wait_seconds=section.integer("max_wait_seconds", d.max_wait_seconds, minimum=1,
                                         maximum=SAGEMAKER_MAX_RUNTIME_SECONDS),
    )
    section.finish()
    return config


def _capacity_retry(section: Section) -> CapacityRetryConfig:
    d = CapacityRetryConfig()
    interval = section.integer("interval_seconds", d.interval_seconds, minimum=1, maximum=86_400)
    config = CapacityRetryConfig(
        interval_seconds=interval,
        backoff_rate=section.number("backoff_rate", d.backoff_rate, minimum=1, maximum=10),
        max_attempts=section.integer("max_attempts", d.max_attempts, minimum=0, maximum=20),
        # Wait.SecondsPath accepts up to a year; a day between capacity checks is plenty.
        max_delay_seconds=section.integer("max_delay_seconds", d.max_delay_seconds, minimum=interval,
                                          maximum=86_400),
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


def _training(section: Section, *, has_vpc: bool) -> TrainingSettings:
    d = TrainingSettings()
    enabled = section.boolean("enabled", d.enabled)
    use_vpc = section.boolean("use_vpc", d.use_vpc)
    if use_vpc and not has_vpc:
        raise ConfigError(section.child_path("use_vpc"),
                          "needs a VPC: declare network.vpc_id and its private subnets, or set use_vpc to false")
    instance_type = _instance_type(section, "instance_type", d.instance_type, allowed=TRAINIUM_TRAINING_TYPES,
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
    planned_params = _optional_positive(section, "planned_params")
    planned_tokens = _optional_positive(section, "planned_tokens")
    if planned_tokens is not None and planned_params is None:
        raise ConfigError(section.child_path("planned_tokens"), "needs planned_params (the model's parameter count)")
    validation_prefix = section.string("validation_prefix", None, pattern=PREFIX_PATTERN,
                                       pattern_hint="an S3 key prefix ending in /, such as datasets/validation/")
    data_retention = section.integer("data_retention_days", None, minimum=1, maximum=36_500)
    config = TrainingSettings(
        enabled=enabled,
        instance_type=instance_type,
        instance_count=section.integer("instance_count", d.instance_count, minimum=1, maximum=64),
        image_repository=section.string("image_repository", d.image_repository,
                                        pattern=r"[a-z0-9][a-z0-9._/-]{1,255}",
                                        pattern_hint="an ECR repository name such as pytorch-training-neuronx"),
        image_tag=section.string("image_tag", d.image_tag, pattern=r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}",
                                 pattern_hint="a Docker image tag"),
        entry_point=section.string("entry_point", d.entry_point, pattern=r"[A-Za-z0-9_][A-Za-z0-9_./-]*\.py",
                                   pattern_hint="a Python file in training/neuron_finetune, such as train.py"),
        hyperparameters=MappingProxyType(_hyperparameters(section, "hyperparameters", d.hyperparameters,
                                                          instance_type=instance_type)),
        volume_size_gb=volume,
        max_runtime_seconds=max_runtime,
        spot=spot,
        network_isolation=section.boolean("network_isolation", d.network_isolation),
        use_vpc=use_vpc,
        train_prefix=section.string("train_prefix", d.train_prefix, pattern=PREFIX_PATTERN,
                                    pattern_hint="an S3 key prefix ending in /, such as datasets/train/"),
        validation_prefix=validation_prefix,
        data_retention_days=data_retention,
        checkpoint_retention_days=section.integer("checkpoint_retention_days", d.checkpoint_retention_days,
                                                  minimum=1, maximum=3650),
        capacity_retry=_capacity_retry(section.section("capacity_retry")),
        planned_params=planned_params,
        planned_tokens=planned_tokens,
        planned_mfu=section.number("planned_mfu", d.planned_mfu, minimum=0, maximum=1, exclusive_minimum=True),
    )
    section.finish()
    return config


def parse_sagemaker(section: Section, *, has_vpc: bool = False) -> SageMakerConfig:
    """Parse ``environments.<name>.sagemaker``; raises :class:`ConfigError` naming the bad key.

    ``has_vpc`` says whether the environment declares a VPC (``network.vpc_id``) for ``training.use_vpc``.
    """
    training = _training(section.section("training"), has_vpc=has_vpc)
    config = SageMakerConfig(
        endpoint=_endpoint(section.section("endpoint"), training_enabled=training.enabled),
        training=training,
    )
    section.finish()
    return config
