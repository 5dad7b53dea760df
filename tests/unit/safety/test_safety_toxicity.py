"""Toxicity thresholds and batching, the Spanish (guardrail) path, ApplyGuardrail verdicts, language."""

from __future__ import annotations

import pytest
from safety import TOXICITY_LABELS, InputRejected, SafetyBlocked, SafetyUnavailable, ServiceLimits
from safety.text import split_text, utf8_len

from .helpers import (
    GUARDRAIL_ARN,
    GUARDRAIL_USAGE,
    GUARDRAIL_VERSION,
    add_clean_input,
    guardrail_response,
    language_response,
    pii_entities,
    toxicity_response,
)

TEXT = "Tell me what you honestly think about my neighbour's new fence."


def _guardrail_params(text: str, source: str = "INPUT") -> dict:
    return {
        "guardrailIdentifier": GUARDRAIL_ARN,
        "guardrailVersion": GUARDRAIL_VERSION,
        "source": source,
        "content": [{"text": {"text": text}}],
    }


@pytest.mark.parametrize("label", TOXICITY_LABELS)
def test_each_label_blocks_at_its_threshold(make_filter, comprehend_stub, label):
    threshold = 0.6
    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, None)
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1, toxicity=0.2, **{label: threshold}), None)
    safety_filter = make_filter(toxicity_label_thresholds={label: threshold}, toxicity_threshold=0.9)
    with pytest.raises(SafetyBlocked) as caught:
        safety_filter.screen_input(TEXT, language="en")
    assert caught.value.check == "toxicity"
    assert caught.value.details["labels"] == [label]
    assert TEXT not in str(caught.value.to_dict())

    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, None)
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1, toxicity=0.2, **{label: 0.59}), None)
    screening = safety_filter.screen_input(TEXT, language="en")
    assert screening.analysis["toxicity"]["blocked"] is False
    assert screening.analysis["toxicity"]["labels"][label] == 0.59


def test_overall_toxicity_blocks_at_its_threshold(make_filter, comprehend_stub):
    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, None)
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1, toxicity=0.75), None)
    with pytest.raises(SafetyBlocked) as caught:
        make_filter(toxicity_threshold=0.75).screen_input(TEXT, language="en")
    assert caught.value.details["labels"] == ["TOXICITY"]

    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, None)
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1, toxicity=0.75), None)
    screening = make_filter(toxicity_threshold=0.8).screen_input(TEXT, language="en")
    assert screening.analysis["checks"]["toxicity"] == "comprehend"
    assert screening.analysis["toxicity"]["toxicity"] == 0.75


def test_segments_are_batched_ten_per_call_within_the_byte_limit(make_filter, comprehend_stub):
    limits = ServiceLimits(toxicity_segment_bytes=100)
    text = " ".join(f"Frase número {i} con acentos y 😀 emoji." for i in range(60))
    segments = [text[b:e] for b, e in split_text(text, limits.toxicity_segment_bytes)]
    assert len(segments) > 20
    batches = [segments[i : i + 10] for i in range(0, len(segments), 10)]
    for index, batch in enumerate(batches):
        scores = {"toxicity": 0.9} if index == len(batches) - 1 else {}
        comprehend_stub.add_response(
            "detect_toxic_content",
            toxicity_response(len(batch), **scores),
            {"TextSegments": [{"Text": s} for s in batch], "LanguageCode": "en"},
        )
    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, None)

    with pytest.raises(SafetyBlocked):  # the toxic segment is in the last batch: every batch counts
        make_filter(limits=limits).screen_input(text, language="en")

    # Batches run concurrently, so they may arrive in any order; each matched one queued batch.
    calls = comprehend_stub.params_of("DetectToxicContent")
    assert sorted(len(call["TextSegments"]) for call in calls) == sorted(len(batch) for batch in batches)
    assert max(len(call["TextSegments"]) for call in calls) == 10
    sent = [segment["Text"] for call in calls for segment in call["TextSegments"]]
    assert all(utf8_len(segment) <= 100 for segment in sent)
    assert sorted(sent) == sorted(segments) and "".join(segments) == text
    comprehend_stub.assert_no_pending_responses()


def test_a_4kb_input_uses_1kb_segments_in_one_call(make_filter, comprehend_stub):
    text = ("A perfectly polite sentence about gardening and the weather. " * 70)[:4096]
    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, None)
    segments = split_text(text, 1000)
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(len(segments)), None)
    screening = make_filter().screen_input(text, language="en")
    (call,) = comprehend_stub.params_of("DetectToxicContent")
    assert 5 <= len(call["TextSegments"]) <= 10
    assert all(utf8_len(s["Text"]) <= 1000 for s in call["TextSegments"])
    assert screening.analysis["toxicity"]["segments"] == len(segments)


def test_spanish_uses_comprehend_pii_and_the_guardrail_for_toxicity(make_filter, comprehend_stub, bedrock_stub):
    text = "Hola, me llamo Lucía Fernández y quiero cambiar mi dirección de envío."
    comprehend_stub.add_response("detect_dominant_language", language_response("es"), {"Text": text})
    comprehend_stub.add_response(
        "detect_pii_entities", pii_entities(text, ("NAME", "Lucía Fernández")), {"Text": text, "LanguageCode": "es"}
    )
    bedrock_stub.add_response("apply_guardrail", guardrail_response(False), _guardrail_params(text))

    screening = make_filter().screen_input(text)

    assert screening.language == "es"
    assert screening.text == "Hola, me llamo [NAME] y quiero cambiar mi dirección de envío."
    assert screening.analysis["checks"] == {
        "language": "comprehend",
        "pii": "comprehend",
        "toxicity": "guardrail",
        "guardrail": "applied",
    }
    assert screening.analysis["toxicity"]["source"] == "guardrail"
    assert "DetectToxicContent" not in comprehend_stub.operations()
    comprehend_stub.assert_no_pending_responses()
    bedrock_stub.assert_no_pending_responses()


def test_spanish_toxicity_blocked_by_the_guardrail_names_policies_not_text(make_filter, comprehend_stub, bedrock_stub):
    text = "Eres un completo idiota y todos en tu barrio lo saben muy bien."
    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, {"Text": text, "LanguageCode": "es"})
    filters = [
        {"type": "INSULTS", "confidence": "HIGH", "filterStrength": "HIGH", "action": "BLOCKED", "detected": True},
        {"type": "HATE", "confidence": "NONE", "filterStrength": "HIGH", "action": "NONE", "detected": False},
    ]
    bedrock_stub.add_response(
        "apply_guardrail", guardrail_response(True, text_out="Blocked: " + text, filters=filters), _guardrail_params(text)
    )
    with pytest.raises(SafetyBlocked) as caught:
        make_filter().screen_input(text, language="es")
    error = caught.value
    assert error.check == "guardrail"
    assert error.details["policies"] == ["contentPolicy"]
    assert error.details["filters"] == ["contentPolicy:INSULTS"]
    assert "idiota" not in str(error.to_dict()) and "idiota" not in error.message


def test_guardrail_on_request_for_english_input_and_output(make_filter, comprehend_stub, bedrock_stub):
    add_clean_input(comprehend_stub, TEXT)
    bedrock_stub.add_response("apply_guardrail", guardrail_response(False), _guardrail_params(TEXT, "INPUT"))
    safety_filter = make_filter()
    screening = safety_filter.screen_input(TEXT, language="en", guardrail=True)
    assert screening.analysis["checks"]["toxicity"] == "comprehend"
    assert screening.analysis["checks"]["guardrail"] == "applied"
    assert screening.analysis["guardrail"]["action"] == "NONE"

    answer = "Fences are a matter of taste; talk to your neighbour kindly."
    add_clean_input(comprehend_stub, answer)
    topic = {"topicPolicy": {"topics": [{"name": "Legal advice", "type": "DENY", "action": "BLOCKED", "detected": True}]}}
    response = {"usage": GUARDRAIL_USAGE, "action": "GUARDRAIL_INTERVENED", "outputs": [{"text": "x"}], "assessments": [topic]}
    bedrock_stub.add_response("apply_guardrail", response, _guardrail_params(answer, "OUTPUT"))
    with pytest.raises(SafetyBlocked) as caught:
        safety_filter.screen_output(answer, screening=screening, guardrail=True)
    assert caught.value.details["filters"] == ["topicPolicy:Legal advice"]
    assert caught.value.details["phase"] == "output"
    bedrock_stub.assert_no_pending_responses()


def test_guardrail_that_did_not_cover_all_text_fails_closed(make_filter, comprehend_stub, bedrock_stub):
    add_clean_input(comprehend_stub, TEXT)
    partial = dict(guardrail_response(False), guardrailCoverage={"textCharacters": {"guarded": 10, "total": len(TEXT)}})
    bedrock_stub.add_response("apply_guardrail", partial, None)
    with pytest.raises(SafetyUnavailable) as caught:
        make_filter().screen_input(TEXT, language="en", guardrail=True)
    assert caught.value.check == "guardrail"


def test_strict_language_rejects_unsupported_detected_language(make_filter, comprehend_stub):
    text = "Bonjour, je voudrais changer mon adresse de livraison, s'il vous plaît."
    comprehend_stub.add_response("detect_dominant_language", language_response("fr"), None)
    with pytest.raises(InputRejected) as caught:
        make_filter().screen_input(text)
    error = caught.value
    assert (error.status, error.code, error.field) == (400, "unsupported_language", "language")
    assert "'fr'" in error.message and "en, es" in error.message
    assert "DetectPiiEntities" not in comprehend_stub.operations()


def test_lenient_language_uses_english_pii_and_the_guardrail(make_filter, comprehend_stub, bedrock_stub):
    text = "Bonjour, je voudrais changer mon adresse de livraison, s'il vous plaît."
    comprehend_stub.add_response("detect_dominant_language", language_response("fr"), None)
    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, {"Text": text, "LanguageCode": "en"})
    bedrock_stub.add_response("apply_guardrail", guardrail_response(False), _guardrail_params(text))
    screening = make_filter(strict_language=False).screen_input(text)
    assert screening.language == "fr"
    assert screening.analysis["pii"]["language"] == "en"
    assert screening.analysis["checks"]["toxicity"] == "guardrail"


@pytest.mark.parametrize(
    ("requested", "code"),
    [("de", "unsupported_language"), ("not a language!", "invalid_language"), (42, "invalid_language")],
)
def test_requested_language_is_validated(make_filter, requested, code):
    with pytest.raises(InputRejected) as caught:
        make_filter().screen_input(TEXT, language=requested)
    assert (caught.value.status, caught.value.code, caught.value.field) == (400, code, "language")


def test_requested_or_configured_language_skips_detection(make_filter, comprehend_stub):
    add_clean_input(comprehend_stub, TEXT)
    make_filter().screen_input(TEXT, language="en-GB")
    add_clean_input(comprehend_stub, TEXT)
    screening = make_filter(language="en").screen_input(TEXT)
    assert screening.analysis["checks"]["language"] == "settings"
    assert "DetectDominantLanguage" not in comprehend_stub.operations()


def test_short_text_uses_the_default_language_without_detection(make_filter, comprehend_stub):
    add_clean_input(comprehend_stub, "hi there")
    screening = make_filter().screen_input("hi there")
    assert (screening.language, screening.analysis["checks"]["language"]) == ("en", "default")
    assert "DetectDominantLanguage" not in comprehend_stub.operations()
