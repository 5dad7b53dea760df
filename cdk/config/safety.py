"""Section ``safety``: the orchestrator's PII and toxicity filters, rendered into ``SAFETY_CONFIG``.

Every key has a default (the runtime's own: its settings contract ``lambdas/orchestrator/safety/settings.py``), so an
environment states only what it changes::

    "safety": {"pii_actions": {"EMAIL": "allow"}, "toxicity_label_thresholds": {"PROFANITY": 0.9}}

``pii_actions`` and ``toxicity_label_thresholds`` are merged over the defaults, so naming one entity
type never silently drops the default ``block`` of the credential types. ``fail_open`` (let a request
through when Comprehend is unavailable) is false unless an environment sets it, and synth then warns.
"""

from __future__ import annotations

import difflib

from cdk.config.fields import ConfigError, Section
from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()  # lambdas/<function>/ on sys.path for the runtime contract below

# isort: split
from safety.settings import (  # noqa: E402
    COMPREHEND_PII_LANGUAGES,
    DEFAULT_SAFETY_SETTINGS,
    PII_ACTIONS,
    PII_ENTITY_TYPES,
    PII_MODES,
    TOXICITY_LABELS,
    SafetySettings,
)

#: The section's value is the runtime's own typed settings (the orchestrator's safety contract,
#: ``lambdas/orchestrator/safety/settings.py``): its lists, defaults and bounds are written there once,
#: and the stack writes it with ``SafetySettings.to_environment()``.
SafetyConfig = SafetySettings

__all__ = ["PII_ENTITY_TYPES", "TOXICITY_LABELS", "SafetyConfig", "parse_safety"]


def parse_safety(section: Section) -> SafetySettings:
    """Read the section with the ``Section`` reader (key paths, allowed values, "did you mean"),
    then build the runtime's value, which validates the same bounds once more."""
    defaults = SafetySettings()
    pii_actions = dict(DEFAULT_SAFETY_SETTINGS["pii_actions"])
    actions = section.section("pii_actions")
    for entity in PII_ENTITY_TYPES:
        if actions.has(entity):
            pii_actions[entity] = actions.string(entity, choices=PII_ACTIONS)
    _finish_map(actions, PII_ENTITY_TYPES, "PII entity type")

    label_thresholds = dict(DEFAULT_SAFETY_SETTINGS["toxicity_label_thresholds"])
    labels = section.section("toxicity_label_thresholds")
    for label in TOXICITY_LABELS:
        if labels.has(label):
            label_thresholds[label] = labels.number(label, minimum=0.0, maximum=1.0)
    _finish_map(labels, TOXICITY_LABELS, "toxicity label")

    supported = section.string_list(
        "supported_languages", defaults.supported_languages, min_items=1,
        item=lambda path, code: _language(path, code, COMPREHEND_PII_LANGUAGES),
    )
    values = dict(
        pii_mode=section.string("pii_mode", defaults.pii_mode, choices=PII_MODES),
        pii_default_action=section.string("pii_default_action", defaults.pii_default_action, choices=PII_ACTIONS),
        pii_actions=pii_actions,
        pii_min_score=section.number("pii_min_score", defaults.pii_min_score, minimum=0.0, maximum=1.0),
        toxicity_threshold=section.number("toxicity_threshold", defaults.toxicity_threshold, minimum=0.0, maximum=1.0),
        toxicity_label_thresholds=label_thresholds,
        language=section.string("language", defaults.language, choices=("auto", *supported)),
        strict_language=section.boolean("strict_language", defaults.strict_language),
        supported_languages=supported,
        fail_open=section.boolean("fail_open", defaults.fail_open),
        max_input_chars=section.integer("max_input_chars", defaults.max_input_chars, minimum=1, maximum=1_000_000),
        # The runtime accepts 0.05..60 s for one whole screening (every filter call of one text).
        timeout_seconds=section.number("timeout_seconds", defaults.timeout_seconds, minimum=0.05, maximum=60.0),
    )
    section.finish()
    return SafetySettings.from_dict(values, source=section.path)


def _finish_map(section: Section, allowed: tuple[str, ...], what: str) -> None:
    try:
        section.finish()
    except ConfigError as error:
        unknown = error.path.rsplit(".", 1)[-1]
        close = difflib.get_close_matches(unknown, allowed, n=1, cutoff=0.75)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(error.path, f"unknown {what}; {hint}allowed: {', '.join(allowed)}") from None


def _language(path: str, code: str, allowed: tuple[str, ...]) -> str:
    if code not in allowed:
        raise ConfigError(path, f"{code!r} is not allowed; allowed values: {', '.join(allowed)}")
    return code
