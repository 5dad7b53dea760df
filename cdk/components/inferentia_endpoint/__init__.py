from cdk.components.inferentia_endpoint.construct import (
    Autoscaling,
    BlueGreen,
    DataCapture,
    InferentiaEndpoint,
    ModelSource,
    NeuronServing,
    ScaleDownSchedule,
)

__all__ = [
    "Autoscaling",
    "BlueGreen",
    "DataCapture",
    "InferentiaEndpoint",
    "ModelSource",
    "NeuronServing",
    "ScaleDownSchedule",
]
