from cdk.components.bedrock_prompts.catalog import (
    DefaultParameters,
    PromptCatalog,
    PromptUseCase,
    load_prompt_catalog,
)
from cdk.components.bedrock_prompts.construct import ManagedPrompts, PromptModel, inference_configuration, prompt_name

__all__ = ["DefaultParameters", "ManagedPrompts", "PromptCatalog", "PromptModel", "PromptUseCase",
           "inference_configuration", "load_prompt_catalog", "prompt_name"]
