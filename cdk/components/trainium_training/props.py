"""Typed arguments of :class:`~cdk.components.trainium_training.TrainiumTrainingPipeline` (CDK-free).

The config reader (``cdk/config/sagemaker.py``) builds these objects directly, so each default and bound is written
once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdk.components.inferentia_endpoint.props import NeuronServing


@dataclass(frozen=True)
class CapacityRetry:
    """Exponential backoff for Trainium capacity: ``interval * backoff_rate**n`` seconds, capped at ``max_delay``."""

    interval_seconds: int = 300
    backoff_rate: float = 2.0
    max_attempts: int = 5
    max_delay_seconds: int = 3600

    def delays(self) -> tuple[int, ...]:
        """The wait before each retry attempt, in seconds."""
        return tuple(min(self.max_delay_seconds, round(self.interval_seconds * self.backoff_rate**n))
                     for n in range(self.max_attempts))


@dataclass(frozen=True)
class PlannedRun:
    """What the run is meant to train, for the compute planner's check of ``max_runtime``."""

    params: float
    tokens: float | None = None
    mfu: float = 0.4


@dataclass(frozen=True)
class ServingImage:
    """The Inferentia2 serving container (a Neuron DLC) the model is exported with and registered for.

    The export job runs ``optimum-cli export neuron`` inside this same image, so the compiled artifacts match the
    serving image's Neuron compiler and runtime; ``serving`` holds the compiled shapes, which the model package
    registers as the container environment.
    """

    repository: str
    tag: str
    serving: NeuronServing = field(default_factory=NeuronServing)


@dataclass(frozen=True)
class ApprovalGate:
    """The fine-tuning gate: a candidate is registered ``PendingManualApproval`` only when its held-out perplexity is
    at most ``max_perplexity`` (set it to the base model's, or the last approved model's, held-out perplexity);
    otherwise, or when the training job reported no perplexity, it is registered ``Rejected`` with the reason."""

    max_perplexity: float = 20.0

    def __post_init__(self) -> None:
        if not self.max_perplexity >= 1:  # exp(loss) with loss >= 0; also refuses NaN
            raise ValueError(f"max_perplexity must be >= 1 (a perplexity is exp(loss)), got {self.max_perplexity}")
