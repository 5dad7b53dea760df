from cdk.components.trainium_training.construct import (
    CapacityRetry,
    PlannedRun,
    ServingImage,
    TrainiumTrainingPipeline,
)

__all__ = ["CapacityRetry", "PlannedRun", "ServingImage", "TrainiumTrainingPipeline"]
