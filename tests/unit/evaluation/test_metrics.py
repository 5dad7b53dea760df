"""Every metric against values computed by hand."""

from __future__ import annotations

import pytest
from evaluation_metrics import grounding, operational, structured, text


def test_normalization_drops_case_accents_punctuation_and_articles():
    assert text.tokens("The Café, está ABIERTO!") == ["cafe", "esta", "abierto"]
    assert text.tokens("Los datos de la empresa") == ["datos", "de", "empresa"]


def test_exact_match_takes_any_reference():
    assert text.exact_match("Lisbon.", ["Madrid", "lisbon"]) == 1.0
    assert text.exact_match("Lisbon is the capital", ["Lisbon"]) == 0.0


def test_token_f1_hand_computed():
    # prediction tokens: cat sat mat (3); reference: cat sat on mat (4); common 3 -> P 1, R 3/4 -> F1 6/7
    assert text.token_f1("the cat sat mat", ["the cat sat on the mat"]) == pytest.approx(6 / 7)
    assert text.token_f1("dog", ["cat"]) == 0.0
    assert text.token_f1("x y", ["nothing", "x y z"]) == pytest.approx(0.8)  # best reference: P 1, R 2/3


def test_rouge_l_is_the_lcs_f_measure_and_keeps_spanish_words_whole():
    # LCS("a b c d", "a c d e") = "a c d" (3): P 3/4, R 3/4 -> F 0.75
    assert text.rouge_l("alpha bravo charlie delta", ["alpha charlie delta echo"]) == pytest.approx(0.75)
    # rouge-score's own tokenizer would split "está" into "est"; ours matches it to "esta"
    assert text.rouge_l("está abierto", ["esta abierto"]) == pytest.approx(1.0)


def test_chrf_matches_sacrebleu_on_identical_and_disjoint_text():
    assert text.chrf("La reunión es el jueves.", ["La reunión es el jueves."]) == pytest.approx(1.0)
    assert text.chrf("xyz", ["abc"]) == pytest.approx(0.0)
    assert 0.0 < text.chrf("La reunión es el jueves", ["La reunión se movió al jueves"]) < 1.0


def test_json_validity_is_strict():
    assert structured.json_valid('{"a": 1}') == 1.0
    assert structured.json_valid('  {"a": 1}\n') == 1.0
    assert structured.json_valid('```json\n{"a": 1}\n```') == 0.0
    assert structured.json_valid("[1, 2]") == 0.0
    assert structured.json_valid("Here it is: {}") == 0.0


def test_field_accuracy_hand_computed():
    expected = {"name": "Ana Ruiz", "date": "1 de octubre", "fee": None, "parties": ["A", "B"]}
    output = '{"name": "ana ruiz", "date": "2 de octubre", "fee": null, "parties": ["B", "A"]}'
    assert structured.field_accuracy(output, expected) == pytest.approx(3 / 4)  # date is wrong
    assert structured.field_accuracy('{"name": "Ana Ruiz"}', expected) == pytest.approx(1 / 4)
    assert structured.field_accuracy("not json", expected) == 0.0
    assert structured.field_accuracy('{"fee": "0"}', {"fee": None}) == 0.0  # null matches only null


def test_label_normalization():
    assert structured.normalize_label("Toxic.") == "toxic"
    assert structured.normalize_label("Label: technical issue\nbecause ...") == "technical_issue"
    assert structured.normalize_label("") == ""


def test_label_accuracy_and_macro_f1_hand_computed():
    gold = ["pos", "pos", "neg", "neu"]
    pred = ["pos", "neg", "neg", "pos"]
    assert structured.label_accuracy(pred, gold) == pytest.approx(0.5)
    # pos: tp1 fp1 fn1 -> 0.5; neg: tp1 fp1 fn0 -> 2/3; neu: tp0 -> 0  => mean 7/18
    assert structured.macro_f1(pred, gold) == pytest.approx((0.5 + 2 / 3 + 0) / 3)


def test_idk_correctness_in_english_and_spanish():
    assert grounding.idk_correct("I don't know.", unanswerable=True) == 1.0
    assert grounding.idk_correct("No lo sé.", unanswerable=True) == 1.0
    assert grounding.idk_correct("The answer is 42.", unanswerable=True) == 0.0
    assert grounding.idk_correct("I don't know", unanswerable=False) == 0.0
    assert grounding.idk_correct("No se puede saber sin datos, pero es 42.", unanswerable=False) == 1.0


def test_citation_precision_is_micro_averaged():
    assert grounding.citations("As [1] and [Source 3] say, see [doc-2].") == ["1", "3", "doc-2"]
    pairs = [grounding.citation_counts("Yes [1] [2].", ["1"]), grounding.citation_counts("No [3].", ["3"])]
    assert pairs == [(1, 2), (1, 1)]
    assert grounding.citation_precision(pairs) == pytest.approx(2 / 3)
    assert grounding.citation_precision([(0, 0)]) is None


def test_operational_summary_hand_computed():
    def body(latency, blocked=False, masked=0, cost=0.001, output="ok"):
        return {"output": output, "latency_ms": latency, "usage": {"input_tokens": 10, "output_tokens": 5},
                "estimated_cost_usd": cost,
                "safety": {"output": {"pii": {"masked_count": masked}, "toxicity": {"blocked": blocked}}}}

    outcomes = [
        operational.outcome_of(200, body(100), "ok"),
        operational.outcome_of(200, body(300, masked=1), "ok"),
        operational.outcome_of(200, body(200), "I can't help with that request."),
        operational.outcome_of(422, {"error": {"code": "blocked_by_safety", "check": "toxicity"}}, ""),
        operational.outcome_of(502, {"error": {"code": "model_error"}}, ""),
    ]
    summary = operational.summarize_outcomes(outcomes)
    assert summary["requests"] == 5
    assert summary["error_rate"] == pytest.approx(0.2)
    assert summary["blocked_rate"] == pytest.approx(0.2)
    assert summary["toxicity_flags"] == 1
    assert summary["pii_leaks"] == 1
    assert summary["refusal_rate"] == pytest.approx(0.2)
    assert summary["latency_p50_ms"] == 200 and summary["latency_p95_ms"] == 300  # nearest rank of 3 values
    assert (summary["input_tokens"], summary["output_tokens"]) == (30, 15)
    assert summary["cost_per_1000_requests_usd"] == pytest.approx(1.0)  # 0.001 USD per successful call


def test_cost_is_unpriced_when_a_call_has_no_price():
    outcomes = [operational.outcome_of(200, {"output": "x", "estimated_cost_usd": None}, "x")]
    assert operational.summarize_outcomes(outcomes)["cost_per_1000_requests_usd"] is None


def test_refusals_in_spanish():
    assert operational.refuses("Lo siento, pero no puedo ayudar con eso.")
    assert not operational.refuses("No puedo creer lo barato que es: 12 euros.")
