"""The typed prompt catalog :class:`~cdk.components.bedrock_prompts.ManagedPrompts` takes (CDK-free).

The limits are those of the ``bedrock-agent`` CreatePrompt API (botocore service model): prompt and variable
names ``([0-9a-zA-Z][_-]?){1,100}``, description 1..200 characters, at most 20 input variables, temperature and
top_p 0..1, at most 4 stop sequences. ``cdk.config.prompt_catalog`` reads the orchestrator's catalog file into
these objects and checks them against these limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FAMILIES = ("text", "chat", "code", "vision")
SAMPLING = ("greedy", "random")
NAME_PATTERN = r"([0-9a-zA-Z][_-]?){1,100}"
VARIABLE_RE = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
MAX_VARIABLES = 20
MAX_STOP_SEQUENCES = 4


@dataclass(frozen=True)
class DefaultParameters:
    max_new_tokens: int
    temperature: float
    top_p: float
    sampling: str
    stop_sequences: tuple[str, ...]

    @property
    def effective_temperature(self) -> float:
        """Greedy decoding is temperature 0 in Bedrock's inference configuration."""
        return 0.0 if self.sampling == "greedy" else self.temperature


@dataclass(frozen=True)
class PromptUseCase:
    id: str
    description: str
    family: str
    accepts_image: bool
    system: str
    instruction: str
    template: str
    default_parameters: DefaultParameters

    @property
    def variables(self) -> tuple[str, ...]:
        """The template's ``{{variable}}`` names, in order of first use."""
        return tuple(dict.fromkeys(VARIABLE_RE.findall(self.template)))


@dataclass(frozen=True)
class PromptCatalog:
    schema_version: int
    use_cases: tuple[PromptUseCase, ...]

    def use_case(self, use_case_id: str) -> PromptUseCase:
        for use_case in self.use_cases:
            if use_case.id == use_case_id:
                return use_case
        raise KeyError(use_case_id)
