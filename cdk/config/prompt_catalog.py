"""Reads ``lambdas/orchestrator/prompt_catalog.json`` into the prompts component's typed catalog.

The orchestrator owns the file (its runtime reads it too); this reader checks only what Bedrock Prompt
Management needs (limits in :mod:`cdk.components.bedrock_prompts.props`).

    catalog = load_prompt_catalog(Path("lambdas/orchestrator/prompt_catalog.json"))
    [use_case.id for use_case in catalog.use_cases]
"""

from __future__ import annotations

import re
from pathlib import Path

from cdk.components.bedrock_prompts.props import (
    FAMILIES,
    MAX_STOP_SEQUENCES,
    MAX_VARIABLES,
    NAME_PATTERN,
    SAMPLING,
    VARIABLE_RE,
    DefaultParameters,
    PromptCatalog,
    PromptUseCase,
)
from cdk.config.fields import ConfigError, Section, json_file_section


def load_prompt_catalog(path: Path) -> PromptCatalog:
    """Parse and validate the catalog; a bad entry raises :class:`ConfigError` naming it."""
    where = path.name
    root = json_file_section(path)
    version = root.integer("schema_version", choices=(1,))
    use_cases = []
    for entry in root.list_of_sections("use_cases"):
        use_cases.append(_use_case(entry))
        entry.finish()
    root.raw("notes", None)
    root.finish()
    ids = [u.id for u in use_cases]
    if not ids:
        raise ConfigError(f"{where}.use_cases", "expected at least one use case")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"{where}.use_cases", f"duplicate ids: {', '.join(duplicates)}")
    return PromptCatalog(schema_version=version, use_cases=tuple(use_cases))


def _use_case(entry: Section) -> PromptUseCase:
    use_case_id = entry.string("id", pattern=NAME_PATTERN,
                               pattern_hint="1 to 100 letters and digits, single '_' or '-' between them")
    description = entry.string("description")
    if not 1 <= len(description) <= 200:
        raise ConfigError(entry.child_path("description"), f"must be 1 to 200 characters, got {len(description)}")
    template = entry.string("template")
    for raw_name in re.findall(r"\{\{(.*?)\}\}", template):
        name = raw_name.strip()
        if not re.fullmatch(NAME_PATTERN, name):
            raise ConfigError(entry.child_path("template"), f"variable {{{{{name}}}}} is not a valid name "
                                                            f"({NAME_PATTERN})")
    variables = tuple(dict.fromkeys(VARIABLE_RE.findall(template)))
    if len(variables) > MAX_VARIABLES:
        raise ConfigError(entry.child_path("template"), f"has {len(variables)} variables; at most {MAX_VARIABLES}")
    params = entry.section("default_parameters", required=True)
    defaults = DefaultParameters(
        max_new_tokens=params.integer("max_new_tokens", minimum=1, maximum=1_000_000),
        temperature=params.number("temperature", minimum=0, maximum=1),
        top_p=params.number("top_p", minimum=0, maximum=1),
        sampling=params.string("sampling", choices=SAMPLING),
        stop_sequences=params.string_list("stop_sequences", (), max_items=MAX_STOP_SEQUENCES, unique=False),
    )
    params.finish()
    return PromptUseCase(
        id=use_case_id,
        description=description,
        family=entry.string("family", choices=FAMILIES),
        accepts_image=entry.boolean("accepts_image"),
        system=entry.string("system"),
        instruction=entry.string("instruction"),
        template=template,
        default_parameters=defaults,
    )
