"""The use-case catalog (``prompt_catalog.json``): loaded and validated once at cold start.

The CDK Bedrock stack reads the same file to create one managed prompt per use case, so the
format is fixed (``schema_version`` 1). Template rules checked here:

* Bedrock prompt-management syntax, ``{{variable}}``; exactly the variables ``examples``,
  ``context``, ``input`` and ``instruction``, each once.
* ``{{instruction}}`` comes after ``{{input}}``: the template shows the long-input layout, with
  the instruction at the end just before the output indicator (the template's last line). For
  short inputs the renderer moves the instruction block to the top (see ``prompts.py``).
* ``{{context}}`` and ``{{examples}}`` are optional at run time: a template line holding one of
  them is dropped when its value is empty, so keep their XML tags on the same line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .settings import FAMILIES

CATALOG_PATH = Path(__file__).resolve().parent.parent / "prompt_catalog.json"
SCHEMA_VERSION = 1
TEMPLATE_VARIABLES = ("examples", "context", "input", "instruction")
PARAMETER_KEYS = ("max_new_tokens", "temperature", "top_p", "top_k", "stop_sequences", "sampling")

_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_VARIABLE_RE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_USE_CASE_KEYS = {
    "id",
    "description",
    "family",
    "accepts_image",
    "system",
    "instruction",
    "template",
    "default_parameters",
}


class CatalogError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class UseCase:
    id: str
    description: str
    family: str
    accepts_image: bool
    system: str
    instruction: str
    template: str
    default_parameters: Mapping[str, Any]

    def describe(self, default_model: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "family": self.family,
            "accepts_image": self.accepts_image,
            "default_model": default_model,
            "default_parameters": dict(self.default_parameters),
        }


def load_catalog(path: Path = CATALOG_PATH) -> dict[str, UseCase]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{path.name}: cannot be read as JSON ({type(exc).__name__})") from None
    return parse_catalog(data)


def parse_catalog(data: Any) -> dict[str, UseCase]:
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise CatalogError(f"schema_version: must be {SCHEMA_VERSION}")
    items = data.get("use_cases")
    if not isinstance(items, list) or not items:
        raise CatalogError("use_cases: must be a non-empty list")
    catalog: dict[str, UseCase] = {}
    for index, item in enumerate(items):
        path = f"use_cases[{index}]"
        if not isinstance(item, dict):
            raise CatalogError(f"{path}: must be an object")
        if set(item) != _USE_CASE_KEYS:
            raise CatalogError(f"{path}: keys must be exactly {sorted(_USE_CASE_KEYS)}")
        use_case_id = item["id"]
        if not isinstance(use_case_id, str) or not _ID_RE.match(use_case_id):
            raise CatalogError(f"{path}.id: must match ^[a-z][a-z0-9_]{{0,39}}$")
        if use_case_id in catalog:
            raise CatalogError(f"{path}.id: duplicate id {use_case_id!r}")
        for key in ("description", "system", "instruction", "template"):
            if not isinstance(item[key], str) or not item[key].strip():
                raise CatalogError(f"{path}.{key}: must be a non-empty string")
        if item["family"] not in FAMILIES:
            raise CatalogError(f"{path}.family: must be one of {list(FAMILIES)}")
        if not isinstance(item["accepts_image"], bool):
            raise CatalogError(f"{path}.accepts_image: must be true or false")
        if item["accepts_image"] and item["family"] != "vision":
            raise CatalogError(f"{path}.family: a use case that accepts images must be in the vision family")
        _check_template(item["template"], f"{path}.template")
        defaults = item["default_parameters"]
        if not isinstance(defaults, dict) or not {"max_new_tokens", "sampling"} <= set(defaults) <= set(PARAMETER_KEYS):
            raise CatalogError(
                f"{path}.default_parameters: needs max_new_tokens and sampling, keys drawn from {list(PARAMETER_KEYS)}"
            )
        catalog[use_case_id] = UseCase(
            id=use_case_id,
            description=item["description"],
            family=item["family"],
            accepts_image=item["accepts_image"],
            system=item["system"],
            instruction=item["instruction"],
            template=item["template"],
            default_parameters=dict(defaults),
        )
    return catalog


def template_variables(template: str) -> list[str]:
    return _VARIABLE_RE.findall(template)


def _check_template(template: str, path: str) -> None:
    names = template_variables(template)
    if sorted(names) != sorted(TEMPLATE_VARIABLES):
        raise CatalogError(f"{path}: must use each of {{{{{'}}, {{'.join(TEMPLATE_VARIABLES)}}}}} exactly once")
    if names.index("instruction") < names.index("input"):
        raise CatalogError(f"{path}: {{{{instruction}}}} must come after {{{{input}}}} (long-input layout)")
    for optional in ("context", "examples"):
        line = next(line for line in template.split("\n") if f"{{{{{optional}}}}}" in line)
        if len(_VARIABLE_RE.findall(line)) != 1:
            raise CatalogError(f"{path}: {{{{{optional}}}}} must be alone on its line (the line is dropped when empty)")
