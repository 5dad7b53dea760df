from cdk.components.bedrock_prompts.construct import ManagedPrompts, PromptModel, inference_configuration, prompt_name
from cdk.components.bedrock_prompts.props import (
    DefaultParameters,
    PromptCatalog,
    PromptUseCase,
)

__all__ = ["DefaultParameters", "ManagedPrompts", "PromptCatalog", "PromptModel", "PromptUseCase",
           "inference_configuration", "prompt_name"]
