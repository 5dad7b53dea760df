"""Evaluation datasets: JSONL, one item a line, each checked against ``dataset.schema.json`` (the one
contract, also checked as Draft 2020-12 by the tests) and against the use case's declared expectation
(``metric_sets.json``). A bad line fails with its file, line number and field path.

The validator interprets the keywords the schema uses (type, required, properties, additionalProperties,
minLength, maxLength, pattern, minItems, maxItems, uniqueItems, items): stdlib only, so the worker Lambda
validates what it is given with the same code as the CLI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from .metric_sets import METRIC_SETS

SCHEMA_PATH = Path(__file__).with_name("dataset.schema.json")
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,), "number": (int, float), "integer": (int,),
}


class DatasetError(ValueError):
    def __init__(self, source: str, line: int, field: str, message: str) -> None:
        super().__init__(f"{source}:{line}: {field}: {message}")
        self.source, self.line, self.field = source, line, field


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _is(value: Any, type_name: str) -> bool:
    if isinstance(value, bool) and type_name in ("number", "integer"):
        return False
    return isinstance(value, _TYPES[type_name])


def _check(value: Any, rule: Mapping[str, Any], path: str) -> Iterator[tuple[str, str]]:
    types = rule.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else list(types)
        if not any(_is(value, t) for t in allowed):
            yield path, f"expected {' or '.join(allowed)}, got {type(value).__name__}"
            return
    if isinstance(value, str):
        if len(value) < rule.get("minLength", 0) or ("maxLength" in rule and len(value) > rule["maxLength"]):
            yield path, f"length {len(value)} outside [{rule.get('minLength', 0)}, {rule.get('maxLength', '-')}]"
        if "pattern" in rule and not re.search(rule["pattern"], value):
            yield path, f"does not match {rule['pattern']}"
    if isinstance(value, list):
        if len(value) < rule.get("minItems", 0) or ("maxItems" in rule and len(value) > rule["maxItems"]):
            yield path, f"{len(value)} items outside [{rule.get('minItems', 0)}, {rule.get('maxItems', '-')}]"
        if rule.get("uniqueItems") and len({json.dumps(v, sort_keys=True) for v in value}) != len(value):
            yield path, "items must be unique"
        for index, entry in enumerate(value):
            yield from _check(entry, rule.get("items", {}), f"{path}[{index}]")
    if isinstance(value, dict):
        for key in rule.get("required", ()):
            if key not in value:
                yield (f"{path}.{key}" if path else key), "is required"
        properties = rule.get("properties", {})
        for key, entry in value.items():
            child = f"{path}.{key}" if path else key
            if key in properties:
                yield from _check(entry, properties[key], child)
            elif rule.get("additionalProperties") is False:
                yield child, f"is not a known field; allowed: {sorted(properties)}"


def validate_item(item: Any) -> list[tuple[str, str]]:
    """Every (field, problem) of one item: the schema first, then the use case's expectation."""
    problems = list(_check(item, schema(), ""))
    if problems or not isinstance(item, dict):
        return problems
    declared = METRIC_SETS.get(item["use_case"])
    if declared is None:
        return [("use_case", f"{item['use_case']!r} is not a use case; allowed: {sorted(METRIC_SETS)}")]
    references = item.get("references")
    if declared.expects == "label" and "label" not in item:
        return [("label", f"is required for use case {item['use_case']}")]
    if declared.expects == "fields" and (not references or not isinstance(references[0], dict)):
        return [("references", f"must hold one object of expected fields for use case {item['use_case']}")]
    if declared.expects == "references":
        if not references:
            return [("references", f"is required for use case {item['use_case']}")]
        for index, reference in enumerate(references):
            if not isinstance(reference, str) or not reference.strip():
                return [(f"references[{index}]", "must be a non-empty string")]
    return []


def parse_lines(lines: Iterable[str], source: str) -> list[dict[str, Any]]:
    """The items of a JSONL text; raises :class:`DatasetError` at the first bad line."""
    items: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise DatasetError(source, number, "(line)", f"not valid JSON: {exc.msg}") from None
        problems = validate_item(item)
        if problems:
            field, message = problems[0]
            raise DatasetError(source, number, field or "(line)", message)
        if item["id"] in seen:
            raise DatasetError(source, number, "id", f"{item['id']!r} repeats line {seen[item['id']]}")
        seen[item["id"]] = number
        items.append(item)
    return items


def load(path: Path) -> list[dict[str, Any]]:
    return parse_lines(path.read_text(encoding="utf-8").splitlines(), path.name)
