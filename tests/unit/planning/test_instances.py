"""The Neuron instance catalog: names SageMaker accepts, and the documented specs."""

from __future__ import annotations

import botocore.session
import pytest

from cdk.planning import INFERENTIA2_TYPES, TRAINIUM_TRAINING_TYPES, UnknownInstanceTypeError, instances, neuron_cores


@pytest.fixture(scope="module")
def sagemaker_model():
    return botocore.session.get_session().get_service_model("sagemaker")


def test_type_sets():
    assert {"ml.trn1.2xlarge", "ml.trn1.32xlarge", "ml.trn1n.32xlarge", "ml.trn2.48xlarge"} == TRAINIUM_TRAINING_TYPES
    assert {"ml.inf2.xlarge", "ml.inf2.8xlarge", "ml.inf2.24xlarge", "ml.inf2.48xlarge"} == INFERENTIA2_TYPES


@pytest.mark.parametrize(
    ("instance_type", "cores"),
    [
        ("ml.trn1.2xlarge", 2),
        ("ml.trn1.32xlarge", 32),
        ("ml.trn1n.32xlarge", 32),
        ("ml.trn2.48xlarge", 64),
        ("ml.inf2.xlarge", 2),
        ("ml.inf2.8xlarge", 2),
        ("ml.inf2.24xlarge", 12),
        ("ml.inf2.48xlarge", 24),
    ],
)
def test_neuron_cores(instance_type, cores):
    assert neuron_cores(instance_type) == cores


def test_unknown_type_lists_the_allowed_ones():
    with pytest.raises(UnknownInstanceTypeError, match=r"'ml\.g5\.xlarge'.*allowed: ml\.inf2\.24xlarge") as info:
        neuron_cores("ml.g5.xlarge")
    assert isinstance(info.value, ValueError)
    assert "ml.trn1.32xlarge" in info.value.allowed


def test_training_types_are_sagemaker_training_types(sagemaker_model):
    allowed = set(sagemaker_model.shape_for("TrainingInstanceType").enum)
    assert allowed >= TRAINIUM_TRAINING_TYPES


def test_every_type_can_host_an_endpoint(sagemaker_model):
    allowed = set(sagemaker_model.shape_for("ProductionVariantInstanceType").enum)
    assert allowed >= set(instances.CATALOG)


def test_per_chip_figures_are_consistent():
    per_chip = {"Trainium": (2, 32, 190.0), "Inferentia2": (2, 32, 190.0), "Trainium2": (4, 96, 667.0)}
    for entry in instances.CATALOG.values():
        cores, memory, tflops = per_chip[entry.accelerator]
        assert entry.neuron_cores == cores * entry.chips, entry.instance_type
        assert entry.accelerator_memory_gib == memory * entry.chips, entry.instance_type
        assert entry.peak_bf16_tflops == pytest.approx(tflops * entry.chips), entry.instance_type
        assert entry.source.startswith("https://awsdocs-neuron.readthedocs-hosted.com/")


def test_trn1_32xlarge_peak():
    assert instances.get("ml.trn1.32xlarge").peak_bf16_flops == pytest.approx(3.04e15)
