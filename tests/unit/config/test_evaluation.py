"""The ``evaluation`` section: defaults, the gate contract, the judge from the allow-list, and bad values that name
the key path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cdk.config import ConfigError, load_app_config

HAIKU = "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
NOVA = "eu.amazon.nova-lite-v1:0"


def _evaluation(section, api=None):
    env = {"region": "eu-west-1", "bedrock": {"models": [HAIKU, NOVA]}, **({"api": api} if api else {}),
           **({} if section is None else {"evaluation": section})}
    return load_app_config({"environments": {"dev": env}}).environment("dev").evaluation


def test_off_by_default_with_an_empty_gate():
    evaluation = _evaluation(None)
    assert evaluation.pipeline is None and not evaluation.gate.thresholds and not evaluation.gate_in_pipeline


def test_enabled_defaults_to_the_allow_list_and_a_concurrency_within_the_api_limits():
    evaluation = _evaluation({"enabled": True})
    assert evaluation.pipeline.models == (HAIKU, NOVA)
    assert evaluation.pipeline.max_concurrency == 4 and evaluation.pipeline.judge is None


def test_the_gate_and_judge_are_read_into_the_runtime_contracts():
    evaluation = _evaluation({"enabled": True, "models": [NOVA], "judge": {"model": HAIKU, "metrics": ["Builtin.Correctness"]},
                              "gate": {"thresholds": {"answer": {"token_f1": 0.5, "error_rate": 0.05}},
                                       "max_regression": 0.02, "require_judge": True, "in_pipeline": True}})
    judge = evaluation.pipeline.judge
    assert (judge.model_id, judge.foundation_model_id, judge.inference_profile) == (
        HAIKU, "anthropic.claude-haiku-4-5-20251001-v1:0", True)
    assert "eu-west-1" in judge.destination_regions
    assert json.loads(evaluation.pipeline.gate_json) == {
        "thresholds": {"answer": {"token_f1": 0.5, "error_rate": 0.05}}, "max_regression": 0.02, "require_judge": True}
    assert evaluation.gate_in_pipeline


@pytest.mark.parametrize("section, api, path, fragment", [
    ({"models": ["anthropic.claude-v2"]}, None, "environments.dev.evaluation.models[0]", "not allowed"),
    ({"max_concurrency": 8}, {"lambda_reserved_concurrency": 10}, "environments.dev.evaluation.max_concurrency",
     "[1, 5]"),
    ({"judge": {"model": "meta.llama3"}}, None, "environments.dev.evaluation.judge.model", "allowed values"),
    ({"judge": {"model": HAIKU, "metrics": ["Builtin.Accuracy"]}}, None, "environments.dev.evaluation.judge.metrics[0]",
     "Builtin.Correctness"),
    ({"gate": {"thresholds": {"poetry": {"token_f1": 0.5}}}}, None, "environments.dev.evaluation.gate.thresholds.poetry",
     "not a use case"),
    ({"gate": {"thresholds": {"answer": {"rouge_l": 0.5}}}}, None,
     "environments.dev.evaluation.gate.thresholds.answer.rouge_l", "not a metric of answer"),
    ({"gate": {"thresholds": {"answer": {"token_f1": 2}}}}, None,
     "environments.dev.evaluation.gate.thresholds.answer.token_f1", "out of range"),
    ({"gate": {"require_judge": True}}, None, "environments.dev.evaluation.gate.require_judge", "judge is not configured"),
    ({"gate": {"treshold": {}}}, None, "environments.dev.evaluation.gate.treshold", "unknown key"),
])
def test_bad_values_name_the_key_path(section, api, path, fragment):
    with pytest.raises(ConfigError) as error:
        _evaluation({"enabled": True, **section}, api)
    assert error.value.path == path
    assert fragment in str(error.value)


def test_shipped_staging_runs_the_gate_in_the_pipeline():
    context = json.loads((Path(__file__).resolve().parents[3] / "cdk.json").read_text())["context"]
    staging = load_app_config({**context, "env": "staging"}).environment("staging").evaluation
    assert staging.pipeline is not None and staging.gate_in_pipeline
    assert {"summarize", "extract", "answer", "classify", "translate"} <= set(staging.gate.thresholds)
