"""Typed arguments of :class:`~cdk.components.inferentia_endpoint.InferentiaEndpoint` (CDK-free).

The config reader (``cdk/config/sagemaker.py``) builds these objects directly, so each default and bound is written
once, here. ``ModelSource`` holds CDK objects (a bucket, a key) and therefore lives beside the construct.
"""

from __future__ import annotations

from dataclasses import dataclass

# The serving-container kinds are the orchestrator's runtime contract (MODELS[].container picks the request
# format): one table, in lambdas/orchestrator/orchestrator/model_spec.py (stdlib only), put on sys.path here.
import cdk.runtime_contracts  # noqa: F401  # isort: skip
from orchestrator.model_spec import CONTAINERS

from cdk.planning.instances import CATALOG, INFERENTIA2_TYPES

AUTO_CAST_TYPES = ("bf16", "fp16")
TRAFFIC_ROUTING = ("all_at_once", "canary")
MODEL_DIR = "/opt/ml/model"  # where SageMaker puts S3 model artifacts in the container


@dataclass(frozen=True)
class NeuronServing:
    """The shapes the model is compiled for and served with on NeuronCores.

    ``num_cores`` is the tensor-parallel degree (TGI ``HF_NUM_CORES``, LMI ``OPTION_TENSOR_PARALLEL_DEGREE``);
    ``batch_size`` the static/rolling batch; ``max_total_tokens`` the compiled sequence length (input + output).
    A Neuron-compiled model serves exactly the shapes it was compiled with, so these must equal the export's.
    """

    container: str = "tgi"
    num_cores: int = 2
    batch_size: int = 4
    max_input_tokens: int = 3072
    max_total_tokens: int = 4096
    auto_cast_type: str = "bf16"

    @property
    def max_new_tokens(self) -> int:
        return self.max_total_tokens - self.max_input_tokens

    @property
    def shape_label(self) -> str:
        """A prefix-friendly name of the compiled shape, e.g. ``neuron-b4-s4096-c2-bf16``."""
        return f"neuron-b{self.batch_size}-s{self.max_total_tokens}-c{self.num_cores}-{self.auto_cast_type}"

    def validate(self, instance_type: str, *, context_tokens: int | None = None) -> None:
        if self.container not in CONTAINERS:
            raise ValueError(f"unknown container kind {self.container!r}; allowed: {', '.join(CONTAINERS)}")
        if instance_type not in INFERENTIA2_TYPES:
            raise ValueError(f"instance type {instance_type!r} is not an Inferentia2 type; allowed: "
                             f"{', '.join(sorted(INFERENTIA2_TYPES))}")
        cores = CATALOG[instance_type].neuron_cores
        if not 1 <= self.num_cores <= cores:
            raise ValueError(f"num_cores {self.num_cores} does not fit {instance_type}, which has {cores} NeuronCores")
        self.validate_shape(context_tokens)

    def validate_shape(self, context_tokens: int | None = None) -> None:
        """Instance-independent checks; ``context_tokens`` is the base model's context length when known."""
        if not 0 < self.max_input_tokens < self.max_total_tokens:
            raise ValueError(f"max_input_tokens {self.max_input_tokens} must be below max_total_tokens "
                             f"{self.max_total_tokens}")
        if context_tokens is not None and self.max_total_tokens > context_tokens:
            raise ValueError(f"max_total_tokens {self.max_total_tokens} exceeds the base model's context of "
                             f"{context_tokens} tokens")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.auto_cast_type not in AUTO_CAST_TYPES:
            raise ValueError(f"auto_cast_type {self.auto_cast_type!r}; allowed: {', '.join(AUTO_CAST_TYPES)}")

    def environment(self, model_id: str, revision: str | None = None) -> dict[str, str]:
        """The container environment for ``model_id`` (a Hub id, or ``/opt/ml/model`` for S3 artifacts).

        ``revision`` pins a Hub model to a commit. TGI: the SageMaker entrypoint of the TGI images maps
        ``HF_MODEL_REVISION`` to the launcher's ``REVISION`` (text-generation-inference ``sagemaker-entrypoint.sh``,
        checked with the search tool). LMI: ``OPTION_REVISION`` follows DJL Serving's ``option.*`` convention; not
        verified against the DJL sources.
        """
        if self.container == "tgi":
            # optimum-neuron TGI: HF_* configure the Neuron export, MAX_* the router; HF_BATCH_SIZE and
            # HF_SEQUENCE_LENGTH are the names older images read, MAX_BATCH_SIZE / MAX_TOTAL_TOKENS the newer ones.
            environment = {
                "HF_MODEL_ID": model_id,
                "HF_NUM_CORES": str(self.num_cores),
                "HF_AUTO_CAST_TYPE": self.auto_cast_type,
                "HF_BATCH_SIZE": str(self.batch_size),
                "HF_SEQUENCE_LENGTH": str(self.max_total_tokens),
                "MAX_BATCH_SIZE": str(self.batch_size),
                "MAX_INPUT_TOKENS": str(self.max_input_tokens),
                "MAX_TOTAL_TOKENS": str(self.max_total_tokens),
            }
            if revision:
                environment["HF_MODEL_REVISION"] = revision
            return environment
        # LMI (DJL Serving) with transformers-neuronx and rolling batch.
        environment = {
            "HF_MODEL_ID": model_id,
            "OPTION_TENSOR_PARALLEL_DEGREE": str(self.num_cores),
            "OPTION_ROLLING_BATCH": "auto",
            "OPTION_MAX_ROLLING_BATCH_SIZE": str(self.batch_size),
            "OPTION_N_POSITIONS": str(self.max_total_tokens),
            "OPTION_DTYPE": self.auto_cast_type,
        }
        if revision:
            environment["OPTION_REVISION"] = revision
        return environment

    def export_arguments(self) -> list[str]:
        """``optimum-cli export neuron`` arguments that compile exactly these shapes (optimum-neuron's documented
        decoder flags: ``--batch_size --sequence_length --num_cores --auto_cast_type``)."""
        return ["--batch_size", str(self.batch_size), "--sequence_length", str(self.max_total_tokens),
                "--num_cores", str(self.num_cores), "--auto_cast_type", self.auto_cast_type]


@dataclass(frozen=True)
class DataCapture:
    """Endpoint data capture. Only requests are captured: responses are model output that has not been screened
    yet (the orchestrator screens it after the endpoint answers), so they are never stored."""

    sampling_percentage: int = 10
    retention_days: int = 30

    def validate(self) -> None:
        if not 0 <= self.sampling_percentage <= 100:
            raise ValueError(f"sampling_percentage must be 0-100, got {self.sampling_percentage}")
        if self.retention_days < 1:
            raise ValueError(f"retention_days must be >= 1, got {self.retention_days}")


@dataclass(frozen=True)
class BlueGreen:
    """Blue/green update policy and the thresholds of the alarms that roll it back."""

    traffic_routing: str = "all_at_once"  # or "canary"
    canary_instance_count: int = 1
    wait_seconds: int = 600
    termination_wait_seconds: int = 300
    rollback_5xx_count: int = 1
    rollback_latency_p99_ms: int = 60_000

    def validate(self) -> None:
        if self.traffic_routing not in TRAFFIC_ROUTING:
            raise ValueError(f"traffic_routing {self.traffic_routing!r}; allowed: {', '.join(TRAFFIC_ROUTING)}")


@dataclass(frozen=True)
class ScaleDownSchedule:
    """Working hours (``days`` 0 = Monday .. 6 = Sunday, minutes after midnight in ``timezone``); outside them the
    capacity range is ``off_hours_min_capacity``..``off_hours_max_capacity``."""

    days: frozenset[int]
    start_minute: int
    end_minute: int
    timezone: str = "UTC"
    off_hours_min_capacity: int = 1
    off_hours_max_capacity: int = 1


@dataclass(frozen=True)
class Autoscaling:
    min_capacity: int = 1
    max_capacity: int = 1
    target_invocations_per_instance: int = 20
    scale_in_cooldown_seconds: int = 600
    scale_out_cooldown_seconds: int = 300
    schedule: ScaleDownSchedule | None = None
