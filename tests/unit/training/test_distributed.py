"""Rank arithmetic from SageMaker's environment."""

from __future__ import annotations

import pytest

from cdk.planning import instances
from training.neuron_finetune import distributed
from training.neuron_finetune.distributed import DistributedError


def test_hosts_are_sorted_like_sagemaker_does():
    assert distributed.parse_hosts('["algo-2", "algo-1", "algo-3"]') == ["algo-1", "algo-2", "algo-3"]
    assert distributed.host_rank(["algo-2", "algo-1"], "algo-2") == 1


@pytest.mark.parametrize("raw", ["", "algo-1", "[]", '["algo-1", "algo-1"]', "[1, 2]", '{"a": 1}'])
def test_bad_hosts(raw):
    with pytest.raises(DistributedError, match="SM_HOSTS"):
        distributed.parse_hosts(raw)


def test_current_host_must_be_listed():
    with pytest.raises(DistributedError, match="algo-9"):
        distributed.host_rank(["algo-1"], "algo-9")


def test_layout_two_trn1_instances_tp8():
    layout = distributed.layout(num_nodes=2, node_rank=1, cores_per_node=32, local_rank=5, tp_degree=8)
    assert layout.world_size == 64
    assert layout.rank == 37
    assert layout.tp_rank == 5
    assert layout.dp_rank == 4
    assert layout.dp_degree == 8
    assert not layout.is_main


def test_tensor_parallel_groups_never_span_instances():
    for node in range(2):
        for local in range(32):
            layout = distributed.layout(num_nodes=2, node_rank=node, cores_per_node=32, local_rank=local, tp_degree=8)
            group_first_rank = layout.rank - layout.tp_rank
            assert group_first_rank // 32 == (group_first_rank + 7) // 32 == node


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"tp_degree": 3}, "must divide the 32 NeuronCores"),
        ({"local_rank": 32}, "local rank 32"),
        ({"node_rank": 2}, "node rank 2"),
        ({"num_nodes": 0}, "number of nodes"),
    ],
)
def test_layout_rejects_inconsistent_input(kwargs, fragment):
    arguments = {"num_nodes": 2, "node_rank": 0, "cores_per_node": 32, "local_rank": 0, "tp_degree": 8, **kwargs}
    with pytest.raises(DistributedError, match=fragment):
        distributed.layout(**arguments)


def test_layout_from_sagemaker_env():
    env = {
        "SM_HOSTS": '["algo-1", "algo-2", "algo-3", "algo-4"]',
        "SM_CURRENT_HOST": "algo-3",
        "SM_NUM_NEURONS": "32",
        "LOCAL_RANK": "31",
        "WORLD_SIZE": "128",
        "RANK": "95",
        "MASTER_ADDR": "algo-1",
        "MASTER_PORT": "7777",
    }
    layout = distributed.layout_from_env(env, tp_degree=32)
    assert (layout.world_size, layout.rank, layout.node_rank, layout.num_nodes) == (128, 95, 2, 4)
    assert (layout.tp_rank, layout.dp_rank, layout.dp_degree) == (31, 2, 4)
    assert (layout.master_addr, layout.master_port) == ("algo-1", 7777)


def test_single_host_defaults():
    layout = distributed.layout_from_env({"SM_CURRENT_INSTANCE_TYPE": "ml.trn1.2xlarge"})
    assert (layout.world_size, layout.rank, layout.master_addr) == (2, 0, "algo-1")
    assert layout.is_main


def test_launcher_disagreeing_with_sagemaker_is_an_error():
    env = {"SM_HOSTS": '["algo-1", "algo-2"]', "SM_CURRENT_HOST": "algo-2", "SM_NUM_NEURONS": "32", "RANK": "3"}
    with pytest.raises(DistributedError, match=r"RANK=3 .* should be 32"):
        distributed.layout_from_env(env)


def test_core_count_precedence():
    env = {"SM_NUM_NEURONS": "16", "NEURON_RT_NUM_CORES": "8", "SM_CURRENT_INSTANCE_TYPE": "ml.trn1.32xlarge"}
    assert distributed.cores_per_instance(env, 4) == 4
    assert distributed.cores_per_instance(env) == 16
    assert distributed.cores_per_instance({**env, "SM_NUM_NEURONS": "0"}) == 8
    assert distributed.cores_per_instance({"SM_CURRENT_INSTANCE_TYPE": "ml.trn1.32xlarge"}) == 32
    with pytest.raises(DistributedError, match="SM_NUM_NEURONS"):
        distributed.cores_per_instance({"SM_NUM_NEURONS": "lots"})


def test_container_core_table_matches_the_catalog():
    assert dict(distributed.CORES_BY_INSTANCE_TYPE) == {name: entry.neuron_cores for name, entry in instances.CATALOG.items()}
