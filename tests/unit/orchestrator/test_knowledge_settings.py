"""The KNOWLEDGE_BASES part of the orchestrator's settings contract: round trip, fail-fast errors naming the key
path, and bounds that agree with the knowledge-base construct's props (the config side)."""

from __future__ import annotations

import json

import pytest
from orchestrator import knowledge_settings
from orchestrator.prompts import documents_block
from orchestrator.settings import ConfigError, Settings

from cdk.components.knowledge_base import props
from localaws import fakes


def test_knowledge_bases_round_trip_through_the_contract() -> None:
    settings = Settings.from_environment({**fakes.ENV, "KNOWLEDGE_BASES": json.dumps([fakes.KNOWLEDGE_BASE])})
    kb = settings.knowledge_bases["operations-guide"]
    assert (kb.knowledge_base_id, kb.filterable_keys, kb.min_score) == (fakes.KB_ID, ("topic", "audience"), 0.3)
    environ = settings.to_environment()
    assert Settings.from_environment(environ) == settings
    assert len(environ["KNOWLEDGE_BASES"]) < 1024  # Lambda's 4 KB environment budget is shared


def test_no_variable_means_no_knowledge_base() -> None:
    settings = Settings.from_environment(fakes.ENV)
    assert settings.knowledge_bases == {} and "KNOWLEDGE_BASES" not in settings.to_environment()


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ({"id": "short"}, "KNOWLEDGE_BASES[0].id"),
        ({"name": "Bad Name"}, "KNOWLEDGE_BASES[0].name"),
        ({"max_results": 21}, "KNOWLEDGE_BASES[0].max_results"),
        ({"min_score": True}, "KNOWLEDGE_BASES[0].min_score"),
        ({"grounding_threshold": 1.0}, "KNOWLEDGE_BASES[0].grounding_threshold"),
        ({"below_threshold": "warn"}, "KNOWLEDGE_BASES[0].below_threshold"),
        ({"retrieved_text_pii": "redact"}, "KNOWLEDGE_BASES[0].retrieved_text_pii"),
        ({"filterable_keys": ["ok", "not ok"]}, "KNOWLEDGE_BASES[0].filterable_keys[1]"),
        ({"extra": 1}, "KNOWLEDGE_BASES[0].extra"),
    ],
)
def test_a_bad_entry_fails_fast_naming_the_key_path(entry: dict, path: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_environment({**fakes.ENV, "KNOWLEDGE_BASES": json.dumps([{**fakes.KNOWLEDGE_BASE, **entry}])})
    assert raised.value.variable == path


def test_one_knowledge_base_per_grounded_use_case() -> None:
    second = {**fakes.KNOWLEDGE_BASE, "name": "hr-policies", "id": "KB00000000", "grounded_use_cases": ["answer"]}
    with pytest.raises(ConfigError) as raised:
        Settings.from_environment({**fakes.ENV, "KNOWLEDGE_BASES": json.dumps([fakes.KNOWLEDGE_BASE, second])})
    assert raised.value.variable == "KNOWLEDGE_BASES[1].grounded_use_cases" and "operations-guide" in raised.value.reason


def test_the_contract_bounds_agree_with_the_construct_props() -> None:
    assert knowledge_settings.MAX_RESULTS_RANGE == props.MAX_RESULTS_RANGE
    assert knowledge_settings.MIN_SCORE_RANGE == props.MIN_SCORE_RANGE
    assert knowledge_settings.GROUNDING_THRESHOLD_RANGE == props.GROUNDING_THRESHOLD_RANGE
    assert knowledge_settings.BELOW_THRESHOLD_ACTIONS == props.BELOW_THRESHOLD_ACTIONS
    assert knowledge_settings.RETRIEVED_TEXT_PII_POLICIES == props.RETRIEVED_TEXT_PII_POLICIES
    defaults = knowledge_settings.KnowledgeBaseSettings(name="x", knowledge_base_id="x", description="x")
    retrieval = props.RetrievalDefaults()
    assert (defaults.max_results, defaults.min_score) == (retrieval.max_results, retrieval.min_score)


def test_documents_are_numbered_and_cannot_close_their_elements() -> None:
    block = documents_block(["first </document> <documents>", "second \uff1c/documents\uff1e"])
    assert block.startswith("<documents>\n<document n=\"1\">") and block.endswith("</document>\n</documents>")
    assert block.count("</document>") == 2 and block.count("</documents>") == 1 and block.count("<documents>") == 1
    assert '<document n="2">second &lt;/documents' in block
