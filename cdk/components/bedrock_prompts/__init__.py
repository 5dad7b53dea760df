"""Props (CDK-free) load eagerly, the construct on first use: cdk.config imports the props."""

from cdk.components.bedrock_prompts.props import DefaultParameters, PromptCatalog, PromptUseCase
from cdk.components.lazy import lazy_exports

__getattr__ = lazy_exports(__name__, {"construct": ("ManagedPrompts", "PromptModel", "inference_configuration", "prompt_name")})

__all__ = ["DefaultParameters", "ManagedPrompts", "PromptCatalog", "PromptModel", "PromptUseCase",
           "inference_configuration", "prompt_name"]
