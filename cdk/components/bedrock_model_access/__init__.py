from cdk.components.bedrock_model_access.construct import INVOKE_ACTIONS, ModelAccess, ModelRoute

__all__ = ["INVOKE_ACTIONS", "ModelAccess", "ModelRoute"]
