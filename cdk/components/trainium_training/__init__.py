from cdk.components.trainium_training.construct import TrainiumTrainingPipeline
from cdk.components.trainium_training.props import CapacityRetry, PlannedRun, ServingImage

__all__ = ["CapacityRetry", "PlannedRun", "ServingImage", "TrainiumTrainingPipeline"]
