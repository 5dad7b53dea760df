"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.lazy import lazy_exports
from cdk.components.trainium_training.props import ApprovalGate, CapacityRetry, PlannedRun, ServingImage

__getattr__ = lazy_exports(__name__, {"construct": ("TrainiumTrainingPipeline",)})

__all__ = ["ApprovalGate", "CapacityRetry", "PlannedRun", "ServingImage", "TrainiumTrainingPipeline"]
