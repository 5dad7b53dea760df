"""Context lengths of the base models this project ships settings for (stdlib only: the config imports it).

A Neuron-compiled model serves a fixed sequence length; compiling or registering one longer than the base model's
context (``max_position_embeddings`` in its ``config.json``) produces a model that cannot attend that far. Values
read from each model's ``config.json`` on the Hugging Face Hub; a model not listed here states its context with
the config key ``base_model_context_tokens``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

CONTEXT_TOKENS: Mapping[str, int] = MappingProxyType({
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0": 2048,  # LlamaConfig max_position_embeddings 2048
    "HuggingFaceH4/zephyr-7b-beta": 32768,  # MistralConfig max_position_embeddings 32768 (sliding window 4096)
})


# The chat template each model's tokenizer_config.json declares, by the names of the orchestrator's renderers
# (lambdas/orchestrator/orchestrator/chat_templates.py): both models ship the Zephyr template.
CHAT_TEMPLATES: Mapping[str, str] = MappingProxyType({
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0": "zephyr",
    "HuggingFaceH4/zephyr-7b-beta": "zephyr",
})


def chat_template(model_id: str | None) -> str | None:
    """The chat template of a known Hub model id, else ``None``."""
    return CHAT_TEMPLATES.get(model_id) if model_id else None


def context_tokens(model_id: str | None) -> int | None:
    """The context length of a known Hub model id, else ``None``."""
    return CONTEXT_TOKENS.get(model_id) if model_id else None
