"""Validation primitives for the environment configuration.

Every reader knows the key path it is reading (``environments.dev.bedrock.models[2]``) so that a bad
value fails synth with one line that names the key and the allowed values.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_MISSING = object()


class ConfigError(ValueError):
    """A configuration value is missing, unknown, of the wrong type or out of range."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def _type_name(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "object"}.get(
        type(value), type(value).__name__
    )


class Section:
    """Typed, path-aware access to one JSON object of the configuration.

    Keys are consumed as they are read; :meth:`finish` rejects whatever was not read, so a typo in a
    key fails instead of being silently ignored.
    """

    def __init__(self, raw: Any, path: str) -> None:
        if not isinstance(raw, Mapping):
            raise ConfigError(path, f"expected an object, got {_type_name(raw)}")
        self._raw = dict(raw)
        self._path = path
        self._read: set[str] = set()

    @property
    def path(self) -> str:
        return self._path

    def child_path(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def has(self, key: str) -> bool:
        return key in self._raw

    def _get(self, key: str, default: Any) -> Any:
        self._read.add(key)
        if key in self._raw and self._raw[key] is not None:
            return self._raw[key]
        if default is _MISSING:
            typo = self._unknown_close_to(key)
            if typo:
                raise ConfigError(self.child_path(typo), f"unknown key; did you mean {key!r}?")
            raise ConfigError(self.child_path(key), "is required")
        return default

    def _unknown_close_to(self, key: str) -> str | None:
        unknown = [k for k in self._raw if k != key and k not in self._read]
        close = difflib.get_close_matches(key, unknown, n=1, cutoff=0.75)
        return close[0] if close else None

    def string(
        self,
        key: str,
        default: Any = _MISSING,
        *,
        choices: Iterable[str] | None = None,
        pattern: str | None = None,
        pattern_hint: str | None = None,
    ) -> Any:
        value = self._get(key, default)
        if value is default and default is not _MISSING:
            return value
        path = self.child_path(key)
        if not isinstance(value, str):
            raise ConfigError(path, f"expected a string, got {_type_name(value)}")
        if choices is not None:
            allowed = list(choices)
            if value not in allowed:
                raise ConfigError(path, f"{value!r} is not allowed; allowed values: {', '.join(allowed)}")
        if pattern is not None and not re.fullmatch(pattern, value):
            raise ConfigError(path, f"{value!r} is not valid; expected {pattern_hint or 'to match ' + pattern}")
        return value

    def integer(self, key: str, default: Any = _MISSING, *, minimum: int | None = None, maximum: int | None = None,
                choices: Iterable[int] | None = None) -> Any:
        value = self._get(key, default)
        if value is default and default is not _MISSING:
            return value
        return check_int(self.child_path(key), value, minimum=minimum, maximum=maximum, choices=choices)

    def number(self, key: str, default: Any = _MISSING, *, minimum: float | None = None,
               maximum: float | None = None, exclusive_minimum: bool = False) -> Any:
        value = self._get(key, default)
        if value is default and default is not _MISSING:
            return value
        path = self.child_path(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(path, f"expected a number, got {_type_name(value)}")
        low_ok = minimum is None or (value > minimum if exclusive_minimum else value >= minimum)
        if not low_ok or (maximum is not None and value > maximum):
            low = "(" if exclusive_minimum else "["
            raise ConfigError(path, f"{value} is out of range; allowed: {low}{minimum}, {maximum}]")
        return float(value)

    def boolean(self, key: str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(self.child_path(key), f"expected true or false, got {_type_name(value)}")
        return value

    def string_list(self, key: str, default: Any = _MISSING, *, item: Callable[[str, str], str] | None = None,
                    min_items: int = 0, max_items: int | None = None, unique: bool = True) -> tuple[str, ...]:
        value = self._get(key, default)
        path = self.child_path(key)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(path, f"expected a list of strings, got {_type_name(value)}")
        if len(value) < min_items or (max_items is not None and len(value) > max_items):
            most = max_items if max_items is not None else "any"
            raise ConfigError(path, f"expected {min_items} to {most} items, got {len(value)}")
        out: list[str] = []
        for index, entry in enumerate(value):
            entry_path = f"{path}[{index}]"
            if not isinstance(entry, str):
                raise ConfigError(entry_path, f"expected a string, got {_type_name(entry)}")
            out.append(item(entry_path, entry) if item else entry)
        if unique and len(set(out)) != len(out):
            raise ConfigError(path, "contains duplicates")
        return tuple(out)

    def string_map(self, key: str, default: Any = _MISSING) -> dict[str, str]:
        value = self._get(key, default)
        path = self.child_path(key)
        if not isinstance(value, Mapping):
            raise ConfigError(path, f"expected an object of strings, got {_type_name(value)}")
        for k, v in value.items():
            if not isinstance(v, str):
                raise ConfigError(f"{path}.{k}", f"expected a string, got {_type_name(v)}")
        return dict(value)

    def section(self, key: str, *, required: bool = False) -> Section:
        value = self._get(key, _MISSING if required else {})
        return Section(value, self.child_path(key))

    def list_of_sections(self, key: str, default: Any = _MISSING) -> list[Section]:
        value = self._get(key, default)
        path = self.child_path(key)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(path, f"expected a list of objects, got {_type_name(value)}")
        return [Section(entry, f"{path}[{index}]") for index, entry in enumerate(value)]

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        return self._get(key, default)

    def finish(self) -> None:
        unknown = sorted(set(self._raw) - self._read)
        if unknown:
            known = sorted(self._read)
            close = difflib.get_close_matches(unknown[0], known, n=1, cutoff=0.75)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigError(self.child_path(unknown[0]), f"unknown key; {hint}allowed keys: {', '.join(known) or '(none)'}")


def json_file_section(path: Path) -> Section:
    """The JSON document at ``path`` as a root :class:`Section` whose key paths start with the file's name."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(path.name, f"cannot be read as JSON: {exc}") from None
    return Section(raw, path.name)


def check_int(path: str, value: Any, *, minimum: int | None = None, maximum: int | None = None,
              choices: Iterable[int] | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(path, f"expected an integer, got {_type_name(value)}")
    if choices is not None:
        allowed = sorted(choices)
        if value not in allowed:
            raise ConfigError(path, f"{value} is not allowed; allowed values: {', '.join(map(str, allowed))}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ConfigError(path, f"{value} is out of range; allowed: [{minimum}, {maximum}]")
    return value
