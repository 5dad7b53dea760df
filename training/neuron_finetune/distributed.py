"""World size and ranks of a SageMaker training job on Neuron instances: pure functions of the environment.

SageMaker describes the cluster in environment variables: ``SM_HOSTS`` (JSON list such as
``["algo-1", "algo-2"]``), ``SM_CURRENT_HOST``, ``SM_CURRENT_INSTANCE_TYPE`` and ``SM_NUM_NEURONS`` (the
NeuronCores ``neuron-ls`` reports on this host). With the ``torch_distributed`` launcher, torchrun starts one
process per NeuronCore and exports ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; those win when present.

Layout: one process per NeuronCore; global rank = node rank * cores per node + local rank, with nodes ordered by
host name as SageMaker orders them. Tensor-parallel groups are blocks of ``tp`` consecutive ranks, so a group
never spans two instances (NeuronLink is intra-instance); data-parallel replicas are the ``world / tp`` blocks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "CORES_BY_INSTANCE_TYPE",
    "DistributedError",
    "Layout",
    "cores_per_instance",
    "host_rank",
    "layout",
    "layout_from_env",
    "parse_hosts",
]

# NeuronCores the runtime exposes by default (Trainium2 at LNC=2). Kept equal to cdk/planning/instances.py by a
# unit test; duplicated because only this folder is shipped to the training container.
CORES_BY_INSTANCE_TYPE: Mapping[str, int] = {
    "ml.trn1.2xlarge": 2,
    "ml.trn1.32xlarge": 32,
    "ml.trn1n.32xlarge": 32,
    "ml.trn2.48xlarge": 64,
    "ml.inf2.xlarge": 2,
    "ml.inf2.8xlarge": 2,
    "ml.inf2.24xlarge": 12,
    "ml.inf2.48xlarge": 24,
}

DEFAULT_MASTER_PORT = 7777


class DistributedError(ValueError):
    """The environment does not describe a consistent cluster."""


def _int(value: object, name: str, minimum: int = 0) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise DistributedError(f"{name} must be an integer, got {value!r}") from None
    if number < minimum:
        raise DistributedError(f"{name} must be >= {minimum}, got {number}")
    return number


def parse_hosts(raw: str) -> list[str]:
    """``SM_HOSTS`` (a JSON list of host names) -> the sorted, de-duplicated host list."""
    try:
        hosts = json.loads(raw)
    except (TypeError, json.JSONDecodeError):
        raise DistributedError(f'SM_HOSTS must be a JSON list such as ["algo-1"], got {raw!r}') from None
    if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) and h for h in hosts):
        raise DistributedError(f"SM_HOSTS must be a non-empty JSON list of host names, got {raw!r}")
    if len(set(hosts)) != len(hosts):
        raise DistributedError(f"SM_HOSTS lists a host twice: {raw!r}")
    return sorted(hosts)


def host_rank(hosts: list[str], current_host: str) -> int:
    """Index of ``current_host`` among the sorted ``hosts`` (SageMaker's ``SM_CURRENT_HOST_RANK``)."""
    ordered = sorted(hosts)
    if current_host not in ordered:
        raise DistributedError(f"SM_CURRENT_HOST {current_host!r} is not in SM_HOSTS {ordered}")
    return ordered.index(current_host)


def cores_per_instance(env: Mapping[str, str], override: int | None = None) -> int:
    """NeuronCores per instance: ``override``, else ``SM_NUM_NEURONS``, else ``NEURON_RT_NUM_CORES``, else the
    instance type in ``SM_CURRENT_INSTANCE_TYPE``. Raises :class:`DistributedError` when none says."""
    if override is not None:
        return _int(override, "neuron cores per instance", 1)
    for name in ("SM_NUM_NEURONS", "NEURON_RT_NUM_CORES"):
        value = env.get(name, "").strip()
        if value and value != "0":
            return _int(value, name, 1)
    instance_type = env.get("SM_CURRENT_INSTANCE_TYPE", "")
    if instance_type in CORES_BY_INSTANCE_TYPE:
        return CORES_BY_INSTANCE_TYPE[instance_type]
    raise DistributedError(
        "cannot tell how many NeuronCores this instance has: set SM_NUM_NEURONS or NEURON_RT_NUM_CORES, run on "
        f"one of {', '.join(sorted(CORES_BY_INSTANCE_TYPE))}, or pass --neuron-cores-per-instance"
    )


@dataclass(frozen=True)
class Layout:
    """Where one process sits in the job."""

    world_size: int
    rank: int
    local_rank: int
    node_rank: int
    num_nodes: int
    cores_per_node: int
    tp_degree: int
    master_addr: str
    master_port: int

    @property
    def dp_degree(self) -> int:
        return self.world_size // self.tp_degree

    @property
    def tp_rank(self) -> int:
        return self.rank % self.tp_degree

    @property
    def dp_rank(self) -> int:
        return self.rank // self.tp_degree

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def layout(
    *,
    num_nodes: int,
    node_rank: int,
    cores_per_node: int,
    local_rank: int,
    tp_degree: int = 1,
    master_addr: str = "localhost",
    master_port: int = DEFAULT_MASTER_PORT,
) -> Layout:
    """The layout of process ``local_rank`` on node ``node_rank`` of ``num_nodes`` nodes."""
    num_nodes = _int(num_nodes, "number of nodes", 1)
    cores_per_node = _int(cores_per_node, "cores per node", 1)
    tp_degree = _int(tp_degree, "tensor parallel degree", 1)
    if not 0 <= node_rank < num_nodes:
        raise DistributedError(f"node rank {node_rank} is outside 0..{num_nodes - 1}")
    if not 0 <= local_rank < cores_per_node:
        raise DistributedError(f"local rank {local_rank} is outside 0..{cores_per_node - 1}")
    if cores_per_node % tp_degree:
        raise DistributedError(
            f"tensor parallel degree {tp_degree} must divide the {cores_per_node} NeuronCores of an instance "
            "(a tensor-parallel group stays within one instance)"
        )
    return Layout(
        world_size=num_nodes * cores_per_node,
        rank=node_rank * cores_per_node + local_rank,
        local_rank=local_rank,
        node_rank=node_rank,
        num_nodes=num_nodes,
        cores_per_node=cores_per_node,
        tp_degree=tp_degree,
        master_addr=master_addr,
        master_port=master_port,
    )


def layout_from_env(env: Mapping[str, str], *, tp_degree: int = 1, cores_override: int | None = None) -> Layout:
    """The layout of this process from SageMaker's variables, cross-checked with torchrun's when present."""
    hosts = parse_hosts(env.get("SM_HOSTS", '["algo-1"]'))
    current = env.get("SM_CURRENT_HOST", hosts[0])
    node_rank = host_rank(hosts, current)
    cores = cores_per_instance(env, cores_override)
    local_rank = _int(env.get("LOCAL_RANK", "0"), "LOCAL_RANK")
    port = _int(env.get("MASTER_PORT", DEFAULT_MASTER_PORT), "MASTER_PORT", 1)
    result = layout(
        num_nodes=len(hosts),
        node_rank=node_rank,
        cores_per_node=cores,
        local_rank=local_rank,
        tp_degree=tp_degree,
        master_addr=env.get("MASTER_ADDR", hosts[0]),
        master_port=port,
    )
    for name, expected in (("WORLD_SIZE", result.world_size), ("RANK", result.rank)):
        if name in env and _int(env[name], name) != expected:
            raise DistributedError(
                f"{name}={env[name]} from the launcher disagrees with SageMaker's cluster ({name} should be {expected} "
                f"for {len(hosts)} host(s) x {cores} NeuronCores, host rank {node_rank}, local rank {local_rank})"
            )
    return result
