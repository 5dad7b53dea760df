"""Catalog of the SageMaker ``ml.*`` instance types with AWS Neuron accelerators (Trainium, Inferentia2).

Every number here comes from the AWS Neuron SDK architecture pages (the official spec source), read on
``SPECS_FOUND_ON``; each entry names its page in ``source``. The ``ml.*`` names themselves were checked against
the SageMaker service model shipped in botocore 1.44.8 (``TrainingInstanceType`` lists the four Trainium types;
``ProductionVariantInstanceType`` lists those plus the four Inferentia2 types).

``neuron_cores`` is the number of NeuronCores the Neuron runtime exposes with its default configuration, i.e. the
number of worker processes a data/tensor-parallel job starts per instance. On Trainium2 that is the *logical*
count: the default Logical NeuronCore Configuration (LNC=2) pairs the 8 physical NeuronCore-v3 of a chip into 4
logical cores, so a trn2.48xlarge shows 64 (128 physical).

``peak_bf16_tflops`` is the dense (not sparse) BF16 peak of the whole instance; the compute planner divides
training FLOPs by it. This module has no dependencies beyond the standard library so that the config validation
can import it cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = [
    "CATALOG",
    "INFERENTIA2_TYPES",
    "SPECS_FOUND_ON",
    "TRAINIUM_TRAINING_TYPES",
    "NeuronInstance",
    "UnknownInstanceTypeError",
    "get",
    "neuron_cores",
]

SPECS_FOUND_ON = "2026-11-27"

_TRN1_ARCH = "https://awsdocs-neuron.readthedocs-hosted.com/en/latest/general/arch/neuron-hardware/trn1-arch.html"
_TRN2_ARCH = "https://awsdocs-neuron.readthedocs-hosted.com/en/latest/general/arch/neuron-hardware/trn2-arch.html"
_TRAINIUM2 = "https://awsdocs-neuron.readthedocs-hosted.com/en/v2.29.0/about-neuron/arch/neuron-hardware/trainium2.html"
_LNC = "https://awsdocs-neuron.readthedocs-hosted.com/en/latest/training/best-practices.html"
_INF2_ARCH = "https://awsdocs-neuron.readthedocs-hosted.com/en/latest/general/arch/neuron-hardware/inf2-arch.html"

Family = Literal["training", "inference"]


@dataclass(frozen=True)
class NeuronInstance:
    """One ``ml.*`` instance type with Neuron accelerators, as AWS documents it."""

    instance_type: str
    family: Family
    accelerator: str
    chips: int
    neuron_cores: int
    accelerator_memory_gib: int
    peak_bf16_tflops: float
    source: str
    note: str = ""

    @property
    def peak_bf16_flops(self) -> float:
        """Dense BF16 peak of the whole instance in FLOP/s."""
        return self.peak_bf16_tflops * 1e12

    @property
    def cores_per_chip(self) -> int:
        return self.neuron_cores // self.chips


_ENTRIES = (
    # Trainium (NeuronCore-v2): per chip 2 cores, 190 BF16 TFLOPS, 32 GiB HBM.
    NeuronInstance("ml.trn1.2xlarge", "training", "Trainium", 1, 2, 32, 190.0, _TRN1_ARCH),
    NeuronInstance("ml.trn1.32xlarge", "training", "Trainium", 16, 32, 512, 3040.0, _TRN1_ARCH),
    NeuronInstance(
        "ml.trn1n.32xlarge",
        "training",
        "Trainium",
        16,
        32,
        512,
        3040.0,
        _TRN1_ARCH,
        note="same chips as trn1.32xlarge; 1600 Gbps EFA instead of 800",
    ),
    # Trainium2 (NeuronCore-v3): per chip 8 physical cores (4 logical at LNC=2), 96 GiB HBM, 667 dense BF16
    # TFLOPS in the Neuron 2.29 page (an older revision said 655); the instance table says 10.7 PFLOPS.
    NeuronInstance(
        "ml.trn2.48xlarge",
        "training",
        "Trainium2",
        16,
        64,
        1536,
        16 * 667.0,
        f"{_TRN2_ARCH} ; {_TRAINIUM2} ; {_LNC}",
        note="64 logical NeuronCores at the default LNC=2 (128 physical); 10,672 = 16 x 667 dense BF16 TFLOPS",
    ),
    # Inferentia2 (NeuronCore-v2): per chip 2 cores, 190 BF16 TFLOPS, 32 GiB HBM.
    NeuronInstance("ml.inf2.xlarge", "inference", "Inferentia2", 1, 2, 32, 190.0, _INF2_ARCH),
    NeuronInstance("ml.inf2.8xlarge", "inference", "Inferentia2", 1, 2, 32, 190.0, _INF2_ARCH),
    NeuronInstance("ml.inf2.24xlarge", "inference", "Inferentia2", 6, 12, 192, 1140.0, _INF2_ARCH),
    NeuronInstance("ml.inf2.48xlarge", "inference", "Inferentia2", 12, 24, 384, 2280.0, _INF2_ARCH),
)

CATALOG: Mapping[str, NeuronInstance] = MappingProxyType({entry.instance_type: entry for entry in _ENTRIES})

TRAINIUM_TRAINING_TYPES: frozenset[str] = frozenset(name for name, entry in CATALOG.items() if entry.family == "training")
INFERENTIA2_TYPES: frozenset[str] = frozenset(name for name, entry in CATALOG.items() if entry.family == "inference")


class UnknownInstanceTypeError(ValueError):
    """The instance type is not a Neuron instance type this catalog knows."""

    def __init__(self, instance_type: object, allowed: frozenset[str] | None = None) -> None:
        choices = sorted(allowed if allowed is not None else CATALOG)
        super().__init__(f"unknown instance type {instance_type!r}; allowed: {', '.join(choices)}")
        self.instance_type = instance_type
        self.allowed = tuple(choices)


def get(instance_type: str) -> NeuronInstance:
    """The catalog entry of ``instance_type`` (e.g. ``"ml.trn1.32xlarge"``)."""
    try:
        return CATALOG[instance_type]
    except (KeyError, TypeError):
        raise UnknownInstanceTypeError(instance_type) from None


def neuron_cores(instance_type: str) -> int:
    """NeuronCores one instance of ``instance_type`` exposes to the Neuron runtime by default."""
    return get(instance_type).neuron_cores
