from cdk.components.comprehend_detection.construct import COMPREHEND_ACTIONS, ComprehendDetectionPolicy

__all__ = ["COMPREHEND_ACTIONS", "ComprehendDetectionPolicy"]
