"""Records -> per use case x model results -> report; the release gate over reports."""

from __future__ import annotations

import json

import pytest
from evaluation_metrics import gate, report, requests, scoring, text

ANSWER = {"id": "a-1", "use_case": "answer", "input": "Capital of Peru?", "references": ["Lima"], "tags": ["es"]}
UNANSWERABLE = {"id": "a-2", "use_case": "answer", "input": "My dog's name?", "references": ["I don't know"],
                "tags": ["unanswerable"]}
CLASSIFY = {"id": "c-1", "use_case": "classify", "input": "Great!", "context": "Labels: positive, negative", "label": "positive"}


def _ok(output: str, model: str = "m1") -> dict:
    return {"output": output, "model": model, "latency_ms": 100, "usage": {"input_tokens": 10, "output_tokens": 2},
            "estimated_cost_usd": 0.0001, "safety": {"output": {"pii": {"masked_count": 0}, "toxicity": {"blocked": False}}}}


def test_api_request_keeps_only_what_the_api_takes():
    item = {**ANSWER, "context": "ctx", "knowledge_base": "docs", "parameters": {"temperature": 0},
            "instructions": {"language": "Spanish"}, "citations": ["1"]}
    assert requests.api_request(item, "m1") == ("/v1/generate", {
        "use_case": "answer", "input": "Capital of Peru?", "context": "ctx", "knowledge_base": "docs",
        "parameters": {"temperature": 0},
        "instructions": {"language": "Spanish"}, "model": "m1"})
    chat = {"id": "c", "use_case": "chat", "input": "Hi", "references": ["Hello"]}
    assert requests.api_request(chat, "m1") == ("/v1/chat", {"message": "Hi", "model": "m1"})


def test_proxy_event_carries_the_body_as_the_api_gateway_would():
    event = requests.proxy_event("/v1/generate", {"use_case": "answer", "input": "¿Qué?"}, request_id="r-1")
    assert (event["httpMethod"], event["path"], event["requestContext"]["requestId"]) == ("POST", "/v1/generate", "r-1")
    assert json.loads(event["body"]) == {"use_case": "answer", "input": "¿Qué?"}


def test_scoring_groups_by_use_case_and_model_and_failed_requests_score_zero():
    records = [
        requests.record(ANSWER, "m1", 200, _ok("Lima")),
        requests.record(UNANSWERABLE, "m1", 200, _ok("I don't know.")),
        requests.record(ANSWER, "m2", 502, {"error": {"code": "model_error"}}),
        requests.record(UNANSWERABLE, "m2", 200, _ok("Rex", "m2")),
        requests.record(CLASSIFY, "m1", 200, _ok("Positive.")),
    ]
    results = {(r["use_case"], r["model"]): r for r in scoring.score(records)}
    m1, m2 = results[("answer", "m1")], results[("answer", "m2")]
    assert m1["quality"]["exact_match"] == pytest.approx(1.0)
    assert m1["quality"]["idk_correct"] == pytest.approx(1.0)
    assert m1["quality"]["citation_precision"] is None
    assert m2["quality"]["exact_match"] == 0.0 and m2["quality"]["idk_correct"] == 0.0
    assert m2["operational"]["error_rate"] == pytest.approx(0.5)
    assert results[("classify", "m1")]["quality"] == {"label_accuracy": 1.0, "macro_f1": 1.0}


def test_library_metrics_are_reported_unavailable_where_the_library_is_missing(monkeypatch):
    monkeypatch.setattr(text, "library_available", lambda metric: False)
    summary = {"id": "s-1", "use_case": "summarize", "input": "Long text.", "references": ["Short."]}
    [result] = scoring.score([requests.record(summary, "m1", 200, _ok("Short."))])
    assert result["quality"]["rouge_l"] is None and result["quality"]["token_f1"] == 1.0
    assert "rouge_score" in result["unavailable"]["rouge_l"]


def _report(records, judge=None):
    return report.build(records, run_id="r1", created_at="2026-12-03T10:00:00+00:00", source="stub",
                        environment="dev", datasets=["answer.jsonl"], judge=judge)


def test_markdown_has_one_table_per_use_case_with_a_row_per_model_and_says_outputs_are_stubs():
    records = [requests.record(ANSWER, "m1", 200, _ok("Lima")), requests.record(ANSWER, "m2", 200, _ok("Lima", "m2")),
               requests.record(CLASSIFY, "m1", 200, _ok("positive"))]
    rendered = report.markdown(_report(records))
    assert "outputs come from stubs" in rendered
    assert rendered.count("## answer") == 1 and rendered.count("## classify") == 1
    answer_table = rendered.split("## answer")[1].split("## classify")[0]
    assert "| `m1` | 1 | 1.000 |" in answer_table and "| `m2` | 1 | 1.000 |" in answer_table
    assert "USD / 1k req" in answer_table and "0.1000" in answer_table  # 0.0001 USD a call


GOOD = [requests.record(ANSWER, "m1", 200, _ok("Lima")), requests.record(UNANSWERABLE, "m1", 200, _ok("I don't know"))]
BAD = [requests.record(ANSWER, "m1", 200, _ok("Cusco")), requests.record(UNANSWERABLE, "m1", 200, _ok("I don't know"))]


def test_gate_passes_when_thresholds_hold():
    settings = gate.GateSettings(thresholds={"answer": {"token_f1": 0.5, "idk_correct": 0.9, "error_rate": 0.0}})
    assert gate.evaluate(_report(GOOD), settings).passed


def test_gate_fails_below_a_threshold_and_names_it():
    settings = gate.GateSettings(thresholds={"answer": {"token_f1": 0.6}})
    verdict = gate.evaluate(_report(BAD), settings)
    assert not verdict.passed
    assert verdict.failures == ("answer x m1: token_f1 0.500 < threshold 0.6",)


def test_gate_fails_on_a_regression_against_the_last_accepted_run():
    settings = gate.GateSettings(max_regression=0.1)
    verdict = gate.evaluate(_report(BAD), settings, baseline=_report(GOOD))
    assert not verdict.passed
    assert any("exact_match 0.500 is 0.500 below the last accepted run" in f for f in verdict.failures)
    assert gate.evaluate(_report(GOOD), settings, baseline=_report(GOOD)).passed


def test_gate_fails_closed_when_the_judge_did_not_complete():
    settings = gate.GateSettings(require_judge=True)
    for judge in (None, {"status": "Failed"}, {"status": "InProgress"}):
        verdict = gate.evaluate(_report(GOOD, judge), settings)
        assert not verdict.passed and "fails closed" in verdict.failures[0]
    assert gate.evaluate(_report(GOOD, {"status": "Completed"}), settings).passed


def test_gate_fails_closed_on_missing_results_or_uncomputed_metrics(monkeypatch):
    assert not gate.evaluate(_report(GOOD), gate.GateSettings(thresholds={"classify": {"macro_f1": 0.5}})).passed
    monkeypatch.setattr(text, "library_available", lambda metric: False)
    summary = {"id": "s-1", "use_case": "summarize", "input": "x", "references": ["y"]}
    built = _report([requests.record(summary, "m1", 200, _ok("y"))])
    verdict = gate.evaluate(built, gate.GateSettings(thresholds={"summarize": {"rouge_l": 0.1}}))
    assert verdict.failures == ("summarize x m1: rouge_l was not computed (fails closed)",)


@pytest.mark.parametrize(("thresholds", "message"), [
    ({"poetry": {"token_f1": 0.5}}, "thresholds.poetry: not a use case"),
    ({"answer": {"rouge_l": 0.5}}, "thresholds.answer.rouge_l: not a metric of answer"),
    ({"answer": {"token_f1": 1.5}}, "thresholds.answer.token_f1: 1.5 is out of range"),
])
def test_gate_settings_name_the_bad_key(thresholds, message):
    with pytest.raises(ValueError, match=message):
        gate.GateSettings(thresholds=thresholds)


def test_gate_settings_round_trip_through_json():
    settings = gate.GateSettings(thresholds={"answer": {"token_f1": 0.5}}, max_regression=0.02, require_judge=True)
    assert gate.GateSettings.from_json(settings.to_json()) == settings
