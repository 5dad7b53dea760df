"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.inferentia_endpoint.props import (
    MODEL_DIR,
    Autoscaling,
    BlueGreen,
    DataCapture,
    NeuronServing,
    ScaleDownSchedule,
)
from cdk.components.lazy import lazy_exports

__getattr__ = lazy_exports(__name__, {"construct": ("InferentiaEndpoint", "ModelSource")})

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
