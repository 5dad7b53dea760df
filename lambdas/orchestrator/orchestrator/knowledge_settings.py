"""The ``KNOWLEDGE_BASES`` entries of the orchestrator's settings contract (``settings.py``): one
:class:`KnowledgeBaseSettings` per knowledge base the function may query. Stdlib only.

The API stack builds them from the knowledge stack's typed descriptors
(``cdk/components/knowledge_base/props.py`` ``KnowledgeBaseDescriptor``) and writes them with
:meth:`KnowledgeBaseSettings.to_descriptor`; ``handler.py`` parses them once at cold start with
:func:`parse_knowledge_bases`. The bounds repeat no config: they are the API's own contract (the
config reader validates against the same numbers in ``cdk/components/knowledge_base/props.py``;
a test checks the two agree).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .model_spec import ConfigError

VARIABLE = "KNOWLEDGE_BASES"
MAX_RESULTS_RANGE = (1, 20)
MIN_SCORE_RANGE = (0.0, 1.0)
GROUNDING_THRESHOLD_RANGE = (0.0, 0.99)
BELOW_THRESHOLD_ACTIONS = ("reject", "flag")
RETRIEVED_TEXT_PII_POLICIES = ("mask", "allow")

_NAME_RE = re.compile(r"^(?=.{1,30}$)[a-z](?:-?[a-z0-9])*$")
# bedrock-agent-runtime Retrieve knowledgeBaseId (botocore service model: KnowledgeBaseIdentifier).
_KB_ID_RE = re.compile(r"^[0-9a-zA-Z]{10}$")
_FILTER_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")
_USE_CASE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_KEYS = {
    "name",
    "id",
    "description",
    "filterable_keys",
    "max_results",
    "min_score",
    "grounded_use_cases",
    "grounding_threshold",
    "relevance_threshold",
    "below_threshold",
    "retrieved_text_pii",
}


@dataclass(frozen=True, slots=True)
class KnowledgeBaseSettings:
    name: str
    knowledge_base_id: str  # a CloudFormation token at synth
    description: str
    filterable_keys: tuple[str, ...] = ()
    max_results: int = 5
    min_score: float = 0.0
    grounded_use_cases: tuple[str, ...] = ()
    grounding_threshold: float = 0.75
    relevance_threshold: float = 0.5
    below_threshold: str = "reject"  # reject -> 422; flag -> the answer with grounding.passed false
    retrieved_text_pii: str = "mask"  # mask: retrieved text goes through the input PII policy

    def describe(self) -> dict[str, Any]:
        """``GET /v1/knowledge-bases``: what a caller may choose, never ids."""
        return {"name": self.name, "description": self.description, "filterable_keys": list(self.filterable_keys)}

    def to_descriptor(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.knowledge_base_id,
            "description": self.description,
            "filterable_keys": list(self.filterable_keys),
            "max_results": self.max_results,
            "min_score": self.min_score,
            "grounded_use_cases": list(self.grounded_use_cases),
            "grounding_threshold": self.grounding_threshold,
            "relevance_threshold": self.relevance_threshold,
            "below_threshold": self.below_threshold,
            "retrieved_text_pii": self.retrieved_text_pii,
        }


def parse_knowledge_bases(raw: Any) -> dict[str, KnowledgeBaseSettings]:
    """``KNOWLEDGE_BASES`` (parsed JSON list) -> name -> settings; a use case is grounded by at most one."""
    if not isinstance(raw, list):
        raise ConfigError(VARIABLE, "must be a JSON list of knowledge-base objects")
    parsed: dict[str, KnowledgeBaseSettings] = {}
    grounded_by: dict[str, str] = {}
    for index, item in enumerate(raw):
        entry = _parse_one(item, f"{VARIABLE}[{index}]")
        if entry.name in parsed:
            raise ConfigError(f"{VARIABLE}[{index}].name", f"duplicate knowledge base {entry.name!r}")
        for use_case in entry.grounded_use_cases:
            if use_case in grounded_by:
                raise ConfigError(
                    f"{VARIABLE}[{index}].grounded_use_cases",
                    f"use case {use_case!r} is already grounded by {grounded_by[use_case]!r}; one knowledge base per use case",
                )
            grounded_by[use_case] = entry.name
        parsed[entry.name] = entry
    return parsed


def _parse_one(item: Any, path: str) -> KnowledgeBaseSettings:
    if not isinstance(item, Mapping):
        raise ConfigError(path, "must be a JSON object")
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise ConfigError(f"{path}.{unknown[0]}", f"is not a known key; allowed: {sorted(_KEYS)}")

    def text(key: str, pattern: re.Pattern[str] | None, hint: str) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip() or (pattern is not None and not pattern.match(value)):
            raise ConfigError(f"{path}.{key}", f"must be {hint}")
        return value

    def number(key: str, bounds: tuple[float, float], default: float, *, integer: bool = False) -> Any:
        value = item.get(key, default)
        kind = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or not bounds[0] <= value <= bounds[1]:
            what = "an integer" if integer else "a number"
            raise ConfigError(f"{path}.{key}", f"must be {what} {bounds[0]:g}..{bounds[1]:g}")
        return value if integer else float(value)

    def choice(key: str, allowed: tuple[str, ...], default: str) -> str:
        value = item.get(key, default)
        if value not in allowed:
            raise ConfigError(f"{path}.{key}", f"must be one of {list(allowed)}")
        return value

    def names(key: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
        value = item.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(set(value)) != len(value):
            raise ConfigError(f"{path}.{key}", "must be a JSON list of distinct strings")
        for position, name in enumerate(value):
            if not pattern.match(name):
                raise ConfigError(f"{path}.{key}[{position}]", f"must match {pattern.pattern}")
        return tuple(value)

    defaults = KnowledgeBaseSettings(name="", knowledge_base_id="", description="")
    return KnowledgeBaseSettings(
        name=text("name", _NAME_RE, "lowercase letters, digits and single hyphens, at most 30 characters"),
        knowledge_base_id=text("id", _KB_ID_RE, "a knowledge-base id (10 letters or digits)"),
        description=text("description", None, "a non-empty string"),
        filterable_keys=names("filterable_keys", _FILTER_KEY_RE),
        max_results=number("max_results", MAX_RESULTS_RANGE, defaults.max_results, integer=True),
        min_score=number("min_score", MIN_SCORE_RANGE, defaults.min_score),
        grounded_use_cases=names("grounded_use_cases", _USE_CASE_RE),
        grounding_threshold=number("grounding_threshold", GROUNDING_THRESHOLD_RANGE, defaults.grounding_threshold),
        relevance_threshold=number("relevance_threshold", GROUNDING_THRESHOLD_RANGE, defaults.relevance_threshold),
        below_threshold=choice("below_threshold", BELOW_THRESHOLD_ACTIONS, defaults.below_threshold),
        retrieved_text_pii=choice("retrieved_text_pii", RETRIEVED_TEXT_PII_POLICIES, defaults.retrieved_text_pii),
    )
