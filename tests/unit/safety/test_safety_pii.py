"""PII: chunking and offsets, masking modes, restoring placeholders, per-type actions, odd spacing."""

from __future__ import annotations

import pytest
from safety import PII_ENTITY_TYPES, SafetyBlocked, ServiceLimits
from safety.text import split_text, utf8_len

from .helpers import add_clean_input, pii_entities, toxicity_response

SMALL = ServiceLimits(pii_max_bytes=120, pii_overlap_chars=40)


def _entities_in_chunk(text: str, begin: int, end: int, values: list[tuple[str, str]]) -> dict:
    """What Comprehend would see of each value in the chunk ``text[begin:end]``: the whole
    value, or only the visible part of one cut by the chunk's edge."""
    entities = []
    for entity_type, value in values:
        start = text.index(value)
        lo, hi = max(start, begin), min(start + len(value), end)
        if lo < hi:
            entities.append({"Type": entity_type, "BeginOffset": lo - begin, "EndOffset": hi - begin, "Score": 0.98})
    return {"Entities": entities}


def _text_with_name_across_first_cut(name: str) -> str:
    for pad in range(1, 80):
        text = "Ñandú 😀 señal " * 4 + "x" * pad + f" Please contact {name} soon. " + "Más texto 漢字 aquí. " * 6
        begin = text.index(name)
        cut = split_text(text, SMALL.pii_max_bytes, overlap_chars=SMALL.pii_overlap_chars)[0][1]
        if begin < cut < begin + len(name):
            return text
    raise AssertionError("no layout puts the name across the first cut")


def test_long_text_is_chunked_by_utf8_bytes_and_offsets_map_back(make_filter, comprehend_stub):
    name, email = "José Núñez", "jose.nunez@example.com"
    text = _text_with_name_across_first_cut(name) + f"Write to {email} please."
    values = [("NAME", name), ("EMAIL", email)]
    spans = split_text(text, SMALL.pii_max_bytes, overlap_chars=SMALL.pii_overlap_chars)
    assert len(spans) >= 3
    for begin, end in spans:
        comprehend_stub.add_response(
            "detect_pii_entities",
            _entities_in_chunk(text, begin, end, values),
            {"Text": text[begin:end], "LanguageCode": "en"},
        )
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1), None)

    screening = make_filter(limits=SMALL).screen_input(text, language="en")

    sent = [params["Text"] for params in comprehend_stub.params_of("DetectPiiEntities")]
    assert len(sent) == len(spans)
    assert all(utf8_len(chunk) <= SMALL.pii_max_bytes for chunk in sent)
    reported = {(e["type"], text[e["begin"] : e["end"]]) for e in screening.analysis["pii"]["entities"]}
    assert reported == {("NAME", name), ("EMAIL", email)}
    assert screening.text == text.replace(name, "[NAME]").replace(email, "[EMAIL]")
    assert screening.analysis["pii"]["masked_count"] == 2
    comprehend_stub.assert_no_pending_responses()


def test_redact_mode_replaces_spans_with_entity_types(make_filter, comprehend_stub):
    text = "I am Ana García, call 555-0100 or mail ana@example.es."
    add_clean_input(
        comprehend_stub, text, pii=pii_entities(text, ("NAME", "Ana García"), ("PHONE", "555-0100"), ("EMAIL", "ana@example.es"))
    )
    screening = make_filter(pii_mode="redact").screen_input(text, language="en")
    assert screening.text == "I am [NAME], call [PHONE] or mail [EMAIL]."
    assert screening.restore("Hello [NAME]") == "Hello [NAME]"
    assert screening.analysis["pii"]["mode"] == "redact"


def test_pseudonymize_numbers_values_and_restores_the_response(make_filter, comprehend_stub):
    text = "John Smith met Mary Jones. Later john smith emailed john@example.com and John Smith left."
    add_clean_input(
        comprehend_stub,
        text,
        pii=pii_entities(
            text,
            ("NAME", "John Smith"),
            ("NAME", "Mary Jones"),
            ("NAME", "john smith"),
            ("EMAIL", "john@example.com"),
            ("NAME", "John Smith", 0.97),
        ),
    )
    screening = make_filter(pii_mode="pseudonymize").screen_input(text, language="en")
    assert screening.text == "[NAME_1] met [NAME_2]. Later [NAME_1] emailed [EMAIL_1] and [NAME_1] left."
    assert "john" not in screening.text.lower()

    model_output = "Dear [NAME_1], [NAME_1] and [name 2] wrote to [EMAIL-1]; [ NAME_1 ] again, [NAME2]."
    assert screening.restore(model_output) == (
        "Dear John Smith, John Smith and Mary Jones wrote to john@example.com; John Smith again, Mary Jones."
    )
    # Unknown numbers and truncated placeholders are left alone, never guessed.
    assert screening.restore("[NAME_9] and [NAME_ and [PHONE_1]") == "[NAME_9] and [NAME_ and [PHONE_1]"


def test_the_mapping_is_not_in_the_analysis_or_repr(make_filter, comprehend_stub):
    text = "Contact Beatriz Olmedo today about the contract renewal."
    add_clean_input(comprehend_stub, text, pii=pii_entities(text, ("NAME", "Beatriz Olmedo")))
    screening = make_filter(pii_mode="pseudonymize").screen_input(text, language="en")
    assert "Beatriz" not in repr(screening)
    assert "Beatriz" not in str(screening.analysis)
    assert "Beatriz" not in repr(screening._vault)


def test_user_typed_placeholder_is_not_confused_with_a_generated_one(make_filter, comprehend_stub):
    text = "Template uses [NAME_1] literally; my name is Carlos Ruiz."
    add_clean_input(comprehend_stub, text, pii=pii_entities(text, ("NAME", "Carlos Ruiz")))
    screening = make_filter(pii_mode="pseudonymize").screen_input(text, language="en")
    assert screening.text == "Template uses [NAME_1] literally; my name is [NAME_2]."
    assert screening.restore("[NAME_1] / [NAME_2]") == "[NAME_1] / Carlos Ruiz"


def test_per_type_actions_and_min_score(make_filter, comprehend_stub):
    text = "Name Luis Prado, email luis@example.com, url https://example.com/x, age 41."
    add_clean_input(
        comprehend_stub,
        text,
        pii=pii_entities(
            text,
            ("NAME", "Luis Prado"),
            ("EMAIL", "luis@example.com"),
            ("URL", "https://example.com/x", 0.3),
            ("AGE", "41"),
        ),
    )
    safety_filter = make_filter(pii_actions={"NAME": "allow", "AGE": "mask"}, pii_min_score=0.5)
    screening = safety_filter.screen_input(text, language="en")
    assert screening.text == "Name Luis Prado, email [EMAIL], url https://example.com/x, age [AGE]."
    actions = {e["type"]: e["action"] for e in screening.analysis["pii"]["entities"]}
    assert actions == {"NAME": "allow", "EMAIL": "mask", "URL": "ignored", "AGE": "mask"}


def test_block_action_rejects_without_echoing_the_value(make_filter, comprehend_stub):
    text = "My SSN is 123-45-6789 and my AWS secret is wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY."
    add_clean_input(
        comprehend_stub,
        text,
        pii=pii_entities(text, ("SSN", "123-45-6789"), ("AWS_SECRET_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")),
    )
    with pytest.raises(SafetyBlocked) as caught:
        make_filter(pii_actions={"SSN": "block"}).screen_input(text, language="en")
    error = caught.value
    assert (error.status, error.code, error.check, error.retryable) == (422, "blocked_by_safety", "pii", False)
    assert error.details["entity_types"] == ["AWS_SECRET_KEY", "SSN"]
    body = str(error.to_dict())
    assert "123-45-6789" not in body and "wJalr" not in body


def test_every_pii_type_at_once(make_filter, comprehend_stub):
    values = [(entity_type, f"<{entity_type.lower()}-value-{i:02d}>") for i, entity_type in enumerate(PII_ENTITY_TYPES)]
    text = "Record: " + "; ".join(f"{t} is {v}" for t, v in values) + "."
    pii = pii_entities(text, *values)
    # Every type set to mask (one toxicity segment for the whole text keeps the stub simple):
    add_clean_input(comprehend_stub, text, pii=pii)
    masked_filter = make_filter(
        pii_actions=dict.fromkeys(PII_ENTITY_TYPES, "mask"), limits=ServiceLimits(toxicity_segment_bytes=100_000)
    )
    screening = masked_filter.screen_input(text, language="en")
    for entity_type, value in values:
        assert value not in screening.text
        assert f"{entity_type} is [{entity_type}]" in screening.text
    assert screening.analysis["pii"]["masked_count"] == len(PII_ENTITY_TYPES)

    # Defaults: the credential types block the whole request.
    add_clean_input(comprehend_stub, text, pii=pii)
    default_filter = make_filter(limits=ServiceLimits(toxicity_segment_bytes=100_000))
    with pytest.raises(SafetyBlocked) as caught:
        default_filter.screen_input(text, language="en")
    assert caught.value.details["entity_types"] == ["AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CREDIT_DEBIT_CVV", "PASSWORD", "PIN"]


@pytest.mark.parametrize(
    ("fragment", "expected_type"),
    [
        ("j o h n @ e x a m p l e . c o m", "EMAIL"),
        ("john @ example . com", "EMAIL"),
        ("john@ example.com", "EMAIL"),
        ("john\u200b@\u200bexample.com", "EMAIL"),
        ("J.Doe+tag @ mail.example.co.uk", "EMAIL"),
        ("4111 1111 1111 1111", "CREDIT_DEBIT_NUMBER"),
        ("4111-1111-1111-1111", "CREDIT_DEBIT_NUMBER"),
        ("4111 - 1111 - 1111 - 1111", "CREDIT_DEBIT_NUMBER"),
        ("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "CREDIT_DEBIT_NUMBER"),
        ("4111\u200b1111\u200b1111\u200b1111", "CREDIT_DEBIT_NUMBER"),
        ("3782 822463 10005", "CREDIT_DEBIT_NUMBER"),
    ],
)
def test_adversarial_spacing_is_masked_even_when_comprehend_misses_it(make_filter, comprehend_stub, fragment, expected_type):
    text = f"Please send it to {fragment} by Friday."
    add_clean_input(comprehend_stub, text)  # Comprehend finds nothing
    screening = make_filter().screen_input(text, language="en")
    assert screening.text == f"Please send it to [{expected_type}] by Friday."
    (entity,) = screening.analysis["pii"]["entities"]
    assert entity["source"] == "local"
    assert text[entity["begin"] : entity["end"]] == fragment


@pytest.mark.parametrize(
    "fragment",
    ["1234 5678 9012 3456", "555 123 4567", "order 2024-01-15 shipped", "me. See you at noon", "a b c d"],
)
def test_local_prepass_does_not_mask_lookalikes(make_filter, comprehend_stub, fragment):
    text = f"Note: {fragment} thanks."
    add_clean_input(comprehend_stub, text)
    assert make_filter().screen_input(text, language="en").text == text


def test_comprehend_and_local_spans_merge_into_one(make_filter, comprehend_stub):
    text = "Card 4111 1111 1111 1111 expires soon."
    add_clean_input(comprehend_stub, text, pii=pii_entities(text, ("CREDIT_DEBIT_NUMBER", "4111 1111 1111")))
    screening = make_filter().screen_input(text, language="en")
    assert screening.text == "Card [CREDIT_DEBIT_NUMBER] expires soon."
    assert screening.analysis["pii"]["masked_count"] == 1


def test_shifted_offsets_still_mask_the_whole_token(make_filter, comprehend_stub):
    text = "😀 Call Johnathan tomorrow."
    begin = text.index("Johnathan")
    shifted = {"Entities": [{"Type": "NAME", "BeginOffset": begin + 1, "EndOffset": begin + 6, "Score": 0.9}]}
    add_clean_input(comprehend_stub, text, pii=shifted)
    assert make_filter().screen_input(text, language="en").text == "😀 Call [NAME] tomorrow."


def test_output_masks_new_pii_keeps_placeholders_and_restores(make_filter, comprehend_stub):
    text = "Summarize the complaint from Elena Vidal about her order."
    add_clean_input(comprehend_stub, text, pii=pii_entities(text, ("NAME", "Elena Vidal")))
    safety_filter = make_filter(pii_mode="pseudonymize")
    screening = safety_filter.screen_input(text, language="en")
    assert screening.text == "Summarize the complaint from [NAME_1] about her order."

    output = "[NAME_1] Ortega complained; agent Pedro Gil (pedro@shop.example) replied to [NAME_1]."
    # Comprehend flags the placeholders as names too: they must survive, a new surname must not.
    add_clean_input(
        comprehend_stub,
        output,
        pii=pii_entities(
            output,
            ("NAME", "[NAME_1] Ortega"),
            ("NAME", "Pedro Gil"),
            ("EMAIL", "pedro@shop.example"),
            ("NAME", "[NAME_1]."),
        ),
    )
    result = safety_filter.screen_output(output, screening=screening)
    assert result.text == "Elena Vidal [NAME] complained; agent [NAME] ([EMAIL]) replied to Elena Vidal."
    assert result.analysis["pii"]["masked_count"] == 3


def test_output_with_a_credential_is_blocked(make_filter, comprehend_stub):
    text = "How do I configure the CLI?"
    add_clean_input(comprehend_stub, text)
    safety_filter = make_filter()
    screening = safety_filter.screen_input(text, language="en")
    output = "Use the key AKIAIOSFODNN7EXAMPLE with the CLI."
    add_clean_input(comprehend_stub, output, pii=pii_entities(output, ("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE")))
    with pytest.raises(SafetyBlocked) as caught:
        safety_filter.screen_output(output, screening=screening)
    assert caught.value.check == "pii"
    assert caught.value.details["phase"] == "output"
    assert "AKIA" not in str(caught.value.to_dict())


def test_empty_model_output_is_returned_without_calls(make_filter, comprehend_stub):
    text = "Say nothing at all, please."
    add_clean_input(comprehend_stub, text)
    safety_filter = make_filter()
    screening = safety_filter.screen_input(text, language="en")
    calls = len(comprehend_stub.calls)
    result = safety_filter.screen_output("  ", screening=screening)
    assert result.text == "  "
    assert len(comprehend_stub.calls) == calls


def test_placeholders_from_earlier_turns_are_kept_and_numbered_past(make_filter, comprehend_stub):
    text = "Earlier: [NAME_1] wrote to [EMAIL_2] about [PHONE]. Now Ana López asks again."
    # Comprehend flags the old placeholder as a name too: it holds no PII and is kept as it is.
    add_clean_input(comprehend_stub, text, pii=pii_entities(text, ("NAME", "[NAME_1]"), ("NAME", "Ana López")))
    screening = make_filter(pii_mode="pseudonymize").screen_input(text, language="en")
    assert screening.text == "Earlier: [NAME_1] wrote to [EMAIL_2] about [PHONE]. Now [NAME_2] asks again."
    assert screening.restore("[NAME_2] and [NAME_1]") == "Ana López and [NAME_1]"


def test_a_masked_span_never_swallows_a_private_use_delimiter(make_filter, comprehend_stub):
    text = "Ship to Calle Mayor 12\n\ue000\nMadrid, please, by Monday."
    add_clean_input(comprehend_stub, text, pii=pii_entities(text, ("ADDRESS", "Calle Mayor 12\n\ue000\nMadrid")))
    screening = make_filter().screen_input(text, language="en")
    assert screening.text == "Ship to [ADDRESS]\n\ue000\n[ADDRESS], please, by Monday."
