"""The ``sagemaker`` section: the Inferentia2 real-time endpoint and the Trainium fine-tuning pipeline.

Every key has a default, so an environment states only what it overrides::

    "sagemaker": {
      "endpoint": {
        "enabled": true,
        "instance_type": "ml.inf2.8xlarge",
        "model_data_url": "s3://genai-models-{account}-{region}/zephyr-7b-beta/neuron-b4-s4096-c2-bf16/",
        "autoscaling": {"enabled": true, "min_capacity": 2, "max_capacity": 6},
        "deployment": {"traffic_routing": "canary"}
      },
      "training": {"enabled": true, "instance_type": "ml.trn1.32xlarge", "instance_count": 4}
    }

An enabled endpoint serves one model from exactly one source:

- ``model_data_url``: ``s3://bucket/key.tar.gz`` (compressed) or ``s3://bucket/prefix/`` (uncompressed) holding
  weights already compiled for Neuron with the endpoint's shapes; ``{account}`` and ``{region}`` in the bucket name
  stand for the deploying account and region (the README's "Stage Neuron weights" section is the one-off step);
- ``model_artifacts_key``: an object key (``.tar.gz``) or prefix (``/``) in this environment's training artifacts
  bucket: the export job's output of an approved model package, e.g. ``output/<export-job>/output/model.tar.gz``;
- ``hf_model_id`` + ``hf_model_revision`` (a commit): the container downloads the model from the Hugging Face Hub
  at every start and needs internet egress. In an environment that keeps its data (``removal_policy`` retain) that
  is a synth error unless ``allow_hub_download`` is true.

A model from S3 runs with network isolation (the container gets no network access at all).

Neuron serving settings (``num_cores``, ``batch_size``, ``max_input_tokens``, ``max_total_tokens``,
``auto_cast_type``) are the compiled shapes: they must fit the NeuronCores of the ``ml.inf2.*`` size and the base
model's context (:mod:`cdk.planning.base_models`, or ``base_model_context_tokens``). The typed objects the
constructs take (``NeuronServing``, ``DataCapture``, ``BlueGreen``, ``Autoscaling``, ``CapacityRetry``) are built
here directly from ``cdk/components/*/props.py``, which hold every default.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from cdk.components.inferentia_endpoint.props import (
    TRAFFIC_ROUTING,
    Autoscaling,
    BlueGreen,
    DataCapture,
    NeuronServing,
    ScaleDownSchedule,
)
from cdk.config import sagemaker_fields as fields
from cdk.config.fields import ConfigError, Section
from cdk.config.sagemaker_fields import CONTAINER_DEFAULTS, CONTAINER_KINDS
from cdk.config.sagemaker_training import TrainingSettings, parse_training
from cdk.planning.base_models import context_tokens
from cdk.planning.instances import CATALOG, INFERENTIA2_TYPES, TRAINIUM_TRAINING_TYPES

__all__ = ["CONTAINER_DEFAULTS", "MIN_VOLUME_SIZE_GB", "EndpointSettings", "SageMakerConfig", "ScheduleConfig",
           "TrainingSettings", "parse_sagemaker", "volume_floor_gb"]

# Endpoint storage: SageMaker accepts 1-512 GB (ProductionVariant.VolumeSizeInGB). The volume holds the downloaded
# weights and the Neuron-compiled artifacts, so with a known model size it must hold both plus container scratch.
MIN_VOLUME_SIZE_GB = 30
MAX_VOLUME_SIZE_GB = 512
VOLUME_SCRATCH_GB = 10
# {account} and {region} may stand in the bucket name: the deploying account and region fill them in.
S3_URL_PATTERN = r"s3://([a-z0-9.-]|\{account\}|\{region\}){3,80}/[^\s{}]+"
HF_MODEL_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?"
HF_REVISION_PATTERN = r"[0-9a-f]{40}"
OBJECT_KEY_PATTERN = r"[A-Za-z0-9!_.*'()/-]{1,1024}"
CATALOG_ID_PATTERN = r"[a-z0-9][a-z0-9._:-]{0,63}"
MODEL_SOURCES = ("hf_model_id", "model_data_url", "model_artifacts_key")


def volume_floor_gb(model_size_gb: float | None) -> int:
    """The smallest endpoint volume for a model: weights + compiled artifacts (2x) + 10 GB scratch, at least 30."""
    if model_size_gb is None:
        return MIN_VOLUME_SIZE_GB
    return max(MIN_VOLUME_SIZE_GB, math.ceil(2 * model_size_gb) + VOLUME_SCRATCH_GB)


@dataclass(frozen=True)
class ScheduleConfig:
    """Outside ``working_hours`` the endpoint's capacity is capped at the off-hours range (the cost report reads
    the text form; the construct gets a :class:`ScaleDownSchedule` inside :class:`Autoscaling`)."""

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
    image_repository: str = CONTAINER_DEFAULTS["tgi"][0]
    image_tag: str = CONTAINER_DEFAULTS["tgi"][1]
    hf_model_id: str | None = None
    hf_model_revision: str | None = None
    allow_hub_download: bool = False
    model_data_url: str | None = None
    model_artifacts_key: str | None = None
    model_size_gb: float | None = None
    base_model: str | None = None  # the Hub model the served weights are: its context length and chat template
    chat_template: str = "generic"  # the orchestrator's renderer for this model's turns (chat_templates.TEMPLATES)
    catalog_id: str = "sagemaker-neuron-llm"
    serving: NeuronServing = field(default_factory=NeuronServing)
    volume_size_gb: int = 64
    startup_health_check_timeout_seconds: int = 1800
    model_data_download_timeout_seconds: int = 1800
    data_capture: DataCapture | None = field(default_factory=DataCapture)
    deployment: BlueGreen = field(default_factory=BlueGreen)
    autoscaling: Autoscaling | None = None
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)

    @property
    def model_from_s3(self) -> bool:
        return self.hf_model_id is None

    @property
    def baseline_capacity(self) -> int:
        """Instances that run whatever the traffic (inside working hours when a schedule applies)."""
        return self.autoscaling.min_capacity if self.autoscaling else self.initial_instance_count


@dataclass(frozen=True)
class SageMakerConfig:
    endpoint: EndpointSettings = field(default_factory=EndpointSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)


def _data_capture(section: Section) -> DataCapture | None:
    d = DataCapture()
    enabled = section.boolean("enabled", True)
    config = DataCapture(
        sampling_percentage=section.integer("sampling_percentage", d.sampling_percentage, minimum=0, maximum=100),
        retention_days=section.integer("retention_days", d.retention_days, minimum=1, maximum=3650),
    )
    section.finish()
    return config if enabled else None


def _deployment(section: Section) -> BlueGreen:
    d = BlueGreen()
    config = BlueGreen(
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


def _autoscaling(section: Section) -> tuple[bool, Autoscaling]:
    d = Autoscaling()
    enabled = section.boolean("enabled", False)
    config = Autoscaling(
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
    return enabled, config


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


def _scale_down(schedule: ScheduleConfig) -> ScaleDownSchedule:
    from cdk.planning.cost_report import Schedule

    window = Schedule.parse(schedule.working_hours, timezone=schedule.timezone)
    return ScaleDownSchedule(days=window.days, start_minute=window.start_minute, end_minute=window.end_minute,
                             timezone=window.timezone, off_hours_min_capacity=schedule.off_hours_min_capacity,
                             off_hours_max_capacity=schedule.off_hours_max_capacity)


def _model_source(section: Section, *, enabled: bool, training_enabled: bool, retain_data: bool
                  ) -> dict[str, str | bool | None]:
    """Exactly one model source; a Hub model is pinned, and refused where data is kept unless allowed."""
    given = [key for key in MODEL_SOURCES if section.raw(key, None) is not None]
    if len(given) > 1:
        raise ConfigError(section.child_path(given[1]),
                          f"conflicts with {given[0]}; set exactly one of {', '.join(MODEL_SOURCES)}")
    if enabled and not given:
        raise ConfigError(section.child_path("model_data_url"),
                          f"an enabled endpoint needs a model: set one of {', '.join(MODEL_SOURCES)} (pre-compiled "
                          "Neuron weights staged in S3 are the default that is known to start)")
    out: dict[str, str | bool | None] = dict.fromkeys(MODEL_SOURCES)
    out["hf_model_revision"] = section.string("hf_model_revision", None, pattern=HF_REVISION_PATTERN,
                                              pattern_hint="a 40-character commit hash of the Hub repository")
    out["allow_hub_download"] = section.boolean("allow_hub_download", False)
    source = given[0] if given else None
    if source == "hf_model_id":
        out["hf_model_id"] = section.string("hf_model_id", pattern=HF_MODEL_ID_PATTERN,
                                            pattern_hint="a Hugging Face model id such as HuggingFaceH4/zephyr-7b-beta")
        if enabled and out["hf_model_revision"] is None:
            raise ConfigError(section.child_path("hf_model_revision"),
                              "is required with hf_model_id: pin the Hub model to a commit (40 hex characters) so "
                              "every container start loads the same weights")
        if enabled and retain_data and not out["allow_hub_download"]:
            raise ConfigError(section.child_path("hf_model_id"),
                              "downloads the model from the Hugging Face Hub at every container start, in an "
                              "environment that keeps its data (removal_policy retain); stage Neuron-compiled "
                              "weights in S3 (model_data_url or model_artifacts_key) or set allow_hub_download to "
                              "true")
    elif source == "model_data_url":
        url = section.string("model_data_url", pattern=S3_URL_PATTERN,
                             pattern_hint="s3://bucket/key.tar.gz or s3://bucket/prefix/ ({account} and {region} "
                                          "may appear in the bucket name)")
        _check_model_object(section.child_path("model_data_url"), url.split("/", 3)[3])
        out["model_data_url"] = url
    elif source == "model_artifacts_key":
        key = section.string("model_artifacts_key", pattern=OBJECT_KEY_PATTERN,
                             pattern_hint="an object key such as output/<job>/output/model.tar.gz")
        _check_model_object(section.child_path("model_artifacts_key"), key)
        if not training_enabled:
            raise ConfigError(section.child_path("model_artifacts_key"),
                              "needs the training artifacts bucket: set sagemaker.training.enabled to true, or "
                              "use model_data_url / hf_model_id")
        out["model_artifacts_key"] = key
    return out


def _endpoint(section: Section, *, training: TrainingSettings, retain_data: bool) -> EndpointSettings:
    training_enabled = training.enabled
    d = EndpointSettings()
    enabled = section.boolean("enabled", d.enabled)
    instance_type = fields.instance_type(section, "instance_type", d.instance_type, allowed=INFERENTIA2_TYPES,
                                         role="the real-time endpoint", other=TRAINIUM_TRAINING_TYPES,
                                         other_role="Trainium training")
    instance = CATALOG[instance_type]
    initial = section.integer("initial_instance_count", d.initial_instance_count, minimum=1, maximum=100)
    container = section.string("container", "tgi", choices=CONTAINER_KINDS)
    default_image = CONTAINER_DEFAULTS[container]
    repository, tag = fields.image(section, default_image, "huggingface-pytorch-tgi-inference")
    if "neuronx" not in tag:
        raise ConfigError(section.child_path("image_tag"),
                          f"{tag!r} is not a Neuron (neuronx) image tag; Inferentia2 needs e.g. {default_image[1]!r}")
    source = _model_source(section, enabled=enabled, training_enabled=training_enabled, retain_data=retain_data)
    hub_id = source["hf_model_id"]
    # A model from this project's pipeline (model_artifacts_key) is its training base model, compiled by the export
    # step for exactly the export's shapes: those are the serving defaults.
    fine_tuned = source["model_artifacts_key"] is not None
    served = hub_id if isinstance(hub_id, str) else None
    model = fields.base_model(section, served, pattern=HF_MODEL_ID_PATTERN) or (training.model_id if fine_tuned else None)
    context = fields.context_override(section) or context_tokens(model)
    serving = fields.serving(section, container=container, instance=instance_type, context_tokens=context,
                             context_source=f"the base model ({model or 'base_model_context_tokens'})",
                             defaults=training.export.serving if fine_tuned else None)

    model_size_gb = fields.optional_positive(section, "model_size_gb")
    if model_size_gb is not None:
        hbm = instance.accelerator_memory_gib * serving.num_cores / instance.neuron_cores
        if model_size_gb > hbm:
            raise ConfigError(section.child_path("model_size_gb"),
                              f"{model_size_gb:g} GB of weights do not fit the {hbm:g} GiB of accelerator memory of "
                              f"{serving.num_cores} NeuronCores on {instance_type}; raise num_cores or choose a "
                              "larger size")
    volume = section.integer("volume_size_gb", d.volume_size_gb, minimum=1, maximum=MAX_VOLUME_SIZE_GB)
    floor = volume_floor_gb(model_size_gb)
    if volume < floor:
        why = (f"a {model_size_gb:g} GB model needs 2 x {model_size_gb:g} GB (weights and Neuron-compiled "
               f"artifacts) + {VOLUME_SCRATCH_GB} GB scratch" if model_size_gb is not None
               else f"the documented minimum is {MIN_VOLUME_SIZE_GB} GB")
        raise ConfigError(section.child_path("volume_size_gb"),
                          f"{volume} GB is too small: {why}; allowed: {floor} to {MAX_VOLUME_SIZE_GB}")

    scaling_enabled, scaling = _autoscaling(section.section("autoscaling"))
    if scaling_enabled and not scaling.min_capacity <= initial <= scaling.max_capacity:
        raise ConfigError(section.child_path("initial_instance_count"),
                          f"{initial} must lie within autoscaling min_capacity..max_capacity "
                          f"({scaling.min_capacity}..{scaling.max_capacity})")
    schedule = _schedule(section.section("schedule"))
    if schedule.enabled:
        if not scaling_enabled:
            raise ConfigError(section.child_path("schedule.enabled"),
                              "a scale-down schedule sets the autoscaling capacity; enable autoscaling too")
        if schedule.off_hours_max_capacity > scaling.max_capacity:
            raise ConfigError(section.child_path("schedule.off_hours_max_capacity"),
                              f"{schedule.off_hours_max_capacity} exceeds autoscaling max_capacity "
                              f"({scaling.max_capacity}); off hours scale down, not up")
        scaling = Autoscaling(**{**scaling.__dict__, "schedule": _scale_down(schedule)})
    deployment = _deployment(section.section("deployment"))
    if deployment.traffic_routing == "canary":
        lowest = scaling.min_capacity if scaling_enabled else initial
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
        image_repository=repository,
        image_tag=tag,
        hf_model_id=hub_id,  # type: ignore[arg-type]
        hf_model_revision=source["hf_model_revision"],  # type: ignore[arg-type]
        allow_hub_download=bool(source["allow_hub_download"]),
        model_data_url=source["model_data_url"],  # type: ignore[arg-type]
        model_artifacts_key=source["model_artifacts_key"],  # type: ignore[arg-type]
        model_size_gb=model_size_gb,
        base_model=model,
        chat_template=fields.chat_template(section, model, enabled=enabled),
        catalog_id=section.string("catalog_id", d.catalog_id, pattern=CATALOG_ID_PATTERN,
                                  pattern_hint="lower-case letters, digits and . _ : - (at most 64)"),
        serving=serving,
        volume_size_gb=volume,
        # ProductionVariant.ContainerStartupHealthCheckTimeoutInSeconds / ModelDataDownloadTimeoutInSeconds: 60-3600.
        startup_health_check_timeout_seconds=section.integer(
            "startup_health_check_timeout_seconds", d.startup_health_check_timeout_seconds, minimum=60, maximum=3600),
        model_data_download_timeout_seconds=section.integer(
            "model_data_download_timeout_seconds", d.model_data_download_timeout_seconds, minimum=60, maximum=3600),
        data_capture=_data_capture(section.section("data_capture")),
        deployment=deployment,
        autoscaling=scaling if scaling_enabled else None,
        schedule=schedule,
    )
    section.finish()
    return config


def _check_model_object(path: str, key: str) -> None:
    if not (key.endswith(".tar.gz") or key.endswith("/")):
        raise ConfigError(path, f"{key!r} must name a model archive ending in .tar.gz or an uncompressed prefix "
                                "ending in /")


def parse_sagemaker(section: Section, *, has_vpc: bool = False, retain_data: bool = False) -> SageMakerConfig:
    """Parse ``environments.<name>.sagemaker``; raises :class:`ConfigError` naming the bad key.

    ``has_vpc`` says whether the environment declares a VPC (``network.vpc_id``) for ``training.use_vpc``;
    ``retain_data`` whether it keeps its data (a Hub download there must be allowed explicitly).
    """
    training = parse_training(section.section("training"), has_vpc=has_vpc)
    config = SageMakerConfig(
        endpoint=_endpoint(section.section("endpoint"), training=training, retain_data=retain_data),
        training=training,
    )
    section.finish()
    return config
