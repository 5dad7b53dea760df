"""Capacity and cost planning for training and serving on AWS Neuron instances.

- :mod:`cdk.planning.instances`: the catalog of ``ml.trn*`` / ``ml.inf2*`` types (cores, memory, peak BF16).
- ``prices.json``: the dated on-demand price table, read by :func:`cdk.planning.compute_planner.load_prices`.
- :mod:`cdk.planning.compute_planner`: the book's scaling laws (Chinchilla tokens, 6*N*D FLOPs) turned into
  instance-hours, wall time and cost; ``python -m cdk.planning`` is its CLI.
- :mod:`cdk.planning.cost_report`: the monthly fixed cost of an always-on (or scheduled) endpoint.

Only the catalog is imported here, so config validation can ``from cdk.planning import neuron_cores`` cheaply.
"""

from cdk.planning.instances import (
    CATALOG,
    INFERENTIA2_TYPES,
    TRAINIUM_TRAINING_TYPES,
    NeuronInstance,
    UnknownInstanceTypeError,
    neuron_cores,
)

__all__ = [
    "CATALOG",
    "INFERENTIA2_TYPES",
    "TRAINIUM_TRAINING_TYPES",
    "NeuronInstance",
    "UnknownInstanceTypeError",
    "neuron_cores",
]
