"""POST /v1/moderate gives what a UI needs to highlight: PII spans that index the text as sent (in code
points, also when detection ran on the NFKC form or a separator character was dropped) and toxicity
labels with scores; the text is never logged."""

from __future__ import annotations

from typing import Any

from orchestrator.safety_gate import SEPARATOR_CHAR, for_highlighting

from localaws import fakes

from .test_orchestrator_safety_integration import comprehend_handlers, real_safety  # noqa: F401 - fixture


def spans(text: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["type"], text[e["begin"] : e["end"]]) for e in body["moderation"]["pii"]["entities"]]


def test_entity_offsets_index_the_text_as_sent(call, aws, real_safety) -> None:  # noqa: F811 - fixture
    comprehend_handlers(aws)
    text = "Mail me at gina@example.com or hal@example.org please"
    status, body, _ = call("POST", "/v1/moderate", {"text": text, "language": "en"})
    assert status == 200, body
    assert spans(text, body) == [("EMAIL", "gina@example.com"), ("EMAIL", "hal@example.org")]
    assert {"type", "begin", "end"} <= set(body["moderation"]["pii"]["entities"][0])


def test_offsets_survive_nfkc_zero_width_astral_and_separator_characters(call, aws, real_safety) -> None:  # noqa: F811
    comprehend_handlers(aws)
    fullwidth = "ｉｖａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ"  # detected as ivan@example.com (NFKC)
    text = f"🙂 ﬁle\u200b from {fullwidth} and{SEPARATOR_CHAR} jo@example.net"
    status, body, _ = call("POST", "/v1/moderate", {"text": text, "language": "en"})
    assert status == 200, body
    assert spans(text, body) == [("EMAIL", fullwidth), ("EMAIL", "jo@example.net")]


def test_toxicity_labels_are_a_list_with_scores(call, aws, real_safety) -> None:  # noqa: F811 - fixture
    comprehend_handlers(aws, toxic=True)
    status, body, _ = call("POST", "/v1/moderate", {"text": "you are an idiot", "language": "en"})
    assert status == 200, body
    toxicity = body["moderation"]["toxicity"]
    assert toxicity["labels"][0] == {"name": "INSULT", "score": 0.97}
    assert all(set(label) == {"name", "score"} for label in toxicity["labels"])
    assert body["moderation"]["verdict"] == "blocked"


def test_guardrail_toxicity_lists_the_content_filters_that_fired() -> None:
    analysis = {"toxicity": {"source": "guardrail", "blocked": True, "filters": ["contentPolicy:HATE", "topicPolicy:Politics"]}}
    assert for_highlighting(analysis, None)["toxicity"]["labels"] == [{"name": "HATE", "score": None}]
    assert for_highlighting({"toxicity": {"source": None, "blocked": False, "skipped": True}}, None)["toxicity"]["labels"] == []


def test_moderate_never_logs_the_text(call, aws, real_safety, captured_output) -> None:  # noqa: F811 - fixture
    comprehend_handlers(aws)
    status, _, _ = call("POST", "/v1/moderate", {"text": "Secret plan: call kim@example.com at dawn", "language": "en"})
    assert status == 200
    out = captured_output()
    assert "Secret plan" not in out and "kim@example.com" not in out


def test_the_moderate_response_matches_its_schema(call, aws, real_safety) -> None:  # noqa: F811 - fixture
    from .test_api_schema import validator

    comprehend_handlers(aws)
    status, body, _ = call("POST", "/v1/moderate", {"text": "Mail gina@example.com", "language": "en"})
    assert status == 200
    validator("ModerateResponse").validate(body)
    assert fakes.CALLER  # the signed caller of every test event
