"""The datasets under evaluation/datasets/: valid against the schema, the sizes issue 15 asks for, and a bad
line failing with its line number and field."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from evaluation_metrics import dataset
from evaluation_metrics.metric_sets import METRIC_SETS

ROOT = Path(__file__).resolve().parents[3]
DATASETS = sorted((ROOT / "evaluation" / "datasets").glob("*.jsonl"))
CATALOG = json.loads((ROOT / "lambdas" / "orchestrator" / "prompt_catalog.json").read_text())


def _all_items() -> list[dict]:
    return [item for path in DATASETS for item in dataset.load(path)]


def test_schema_is_a_valid_draft_2020_12_schema_and_every_item_passes_it():
    jsonschema.Draft202012Validator.check_schema(dataset.schema())
    validator = jsonschema.Draft202012Validator(dataset.schema())
    for item in _all_items():
        assert not list(validator.iter_errors(item)), item["id"]


def test_every_catalog_use_case_declares_a_metric_set():
    assert set(METRIC_SETS) == {uc["id"] for uc in CATALOG["use_cases"]}


def test_dataset_sizes():
    counts = Counter(item["use_case"] for item in _all_items())
    for use_case in ("summarize", "extract", "answer", "classify", "translate"):
        assert counts[use_case] >= 20, use_case
    for use_case in ("rewrite", "chat", "generate_code", "marketing_copy"):
        assert counts[use_case] >= 3, use_case


def test_datasets_cover_english_spanish_and_unanswerable_questions():
    items = _all_items()
    answer = [i for i in items if i["use_case"] == "answer"]
    assert sum("unanswerable" in i["tags"] for i in answer) >= 5
    assert any(i.get("citations") for i in answer)
    assert sum(i.get("knowledge_base") == "operations-guide" for i in answer) >= 5  # knowledge/sample_corpus
    for use_case in ("summarize", "extract", "answer", "classify"):
        tags = {t for i in items if i["use_case"] == use_case for t in i["tags"]}
        assert {"en", "es"} <= tags, use_case
    directions = {i["tags"][0] for i in items if i["use_case"] == "translate"}
    assert {"en-es", "es-en"} <= directions
    labels = {i["label"] for i in items if i["use_case"] == "classify"}
    assert {"positive", "negative", "neutral", "safe"} <= labels


def test_ids_are_unique_across_files():
    ids = [item["id"] for item in _all_items()]
    assert len(ids) == len(set(ids))


GOOD = {"id": "x-1", "use_case": "answer", "input": "Why?", "references": ["Because."]}


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("{not json", "(line)", "not valid JSON"),
        (json.dumps({**GOOD, "use_case": "poetry"}), "use_case", "not a use case"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "input"}), "input", "is required"),
        (json.dumps({**GOOD, "input": ""}), "input", "length 0"),
        (json.dumps({**GOOD, "refs": ["x"]}), "refs", "not a known field"),
        (json.dumps({**GOOD, "tags": ["en", 3]}), "tags[1]", "expected string"),
        (json.dumps({**GOOD, "instructions": {"language": "Spanish", "voice": "x"}}), "instructions.voice", "not a known"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "references"}), "references", "is required"),
        (json.dumps({**GOOD, "use_case": "classify", "references": None}), "references", "expected array"),
        (json.dumps({"id": "c-1", "use_case": "classify", "input": "x"}), "label", "is required"),
        (json.dumps({**GOOD, "use_case": "extract"}), "references", "one object of expected fields"),
        (json.dumps({**GOOD, "id": "Bad Id"}), "id", "does not match"),
    ],
)
def test_a_bad_line_fails_with_its_line_number_and_field(line: str, field: str, message: str):
    lines = [json.dumps(GOOD), "", line]
    with pytest.raises(dataset.DatasetError) as error:
        dataset.parse_lines(lines, "bad.jsonl")
    assert (error.value.line, error.value.field) == (3, field)
    assert str(error.value).startswith(f"bad.jsonl:3: {field}: ")
    assert message in str(error.value)


def test_a_repeated_id_names_the_first_line():
    with pytest.raises(dataset.DatasetError, match=r"bad.jsonl:2: id: 'x-1' repeats line 1"):
        dataset.parse_lines([json.dumps(GOOD), json.dumps(GOOD)], "bad.jsonl")
