from cdk.components.inferentia_endpoint.construct import InferentiaEndpoint, ModelSource
from cdk.components.inferentia_endpoint.props import (
    MODEL_DIR,
    Autoscaling,
    BlueGreen,
    DataCapture,
    NeuronServing,
    ScaleDownSchedule,
)

__all__ = [
    "MODEL_DIR",
    "Autoscaling",
    "BlueGreen",
    "DataCapture",
    "InferentiaEndpoint",
    "ModelSource",
    "NeuronServing",
    "ScaleDownSchedule",
]
