"""Logs never carry PII; metrics are emitted as EMF through an injected Powertools Metrics."""

from __future__ import annotations

import json
import logging

import pytest
from aws_lambda_powertools.metrics import Metrics
from safety import SafetyBlocked, SafetyUnavailable

from .helpers import add_clean_input, guardrail_response, pii_entities, toxicity_response

PII_VALUES = {
    "NAME": "Valentina Crespo",
    "EMAIL": "valentina.crespo@example.org",
    "PHONE": "+34 612 345 678",
    "SSN": "078-05-1120",
    "CREDIT_DEBIT_NUMBER": "4111 1111 1111 1111",
    "ADDRESS": "Calle Mayor 12, 28013 Madrid",
    "IP_ADDRESS": "203.0.113.42",
}
PII_TEXT = (
    f"I'm {PII_VALUES['NAME']} ({PII_VALUES['EMAIL']}, {PII_VALUES['PHONE']}). SSN {PII_VALUES['SSN']}, "
    f"card {PII_VALUES['CREDIT_DEBIT_NUMBER']}, home {PII_VALUES['ADDRESS']}, ip {PII_VALUES['IP_ADDRESS']}. "
    "Also v a l e @ e x a m p l e . o r g."
)
FRAGMENTS = [*PII_VALUES.values(), "Valentina", "Crespo", "4111 1111", "4111111111111111", "v a l e", "Calle Mayor"]
_STANDARD = set(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {"message", "asctime"}


def _all_entities():
    return pii_entities(PII_TEXT, *PII_VALUES.items())


def _leaks(blob: str) -> list[str]:
    return [fragment for fragment in FRAGMENTS if fragment in blob]


def test_no_pii_value_reaches_any_log_record(make_filter, comprehend, comprehend_stub, bedrock_stub, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # every logger, botocore's included
    metrics = Metrics(namespace="GenAI", service="orchestrator")
    safety_filter = make_filter(pii_mode="pseudonymize", metrics=metrics)

    add_clean_input(comprehend_stub, PII_TEXT, pii=_all_entities())
    screening = safety_filter.screen_input(PII_TEXT, language="en")
    output = f"Thanks [NAME_1], we wrote to [EMAIL_1] and to {PII_VALUES['NAME']}'s colleague."
    add_clean_input(comprehend_stub, output, pii=pii_entities(output, ("NAME", PII_VALUES["NAME"])))
    safety_filter.screen_output(output, screening=screening)

    add_clean_input(comprehend_stub, PII_TEXT, pii=_all_entities())
    bedrock_stub.add_response("apply_guardrail", guardrail_response(False), None)
    safety_filter.moderate(PII_TEXT, language="en")

    blocked = dict(_all_entities())
    blocked["Entities"] = [*blocked["Entities"], {"Type": "PASSWORD", "BeginOffset": 4, "EndOffset": 20, "Score": 0.9}]
    add_clean_input(comprehend_stub, PII_TEXT, pii=blocked)
    with pytest.raises(SafetyBlocked):
        safety_filter.screen_input(PII_TEXT, language="en")

    comprehend_stub.add_client_error(
        "detect_pii_entities", service_error_code="ValidationException", service_message=f"bad value {PII_TEXT}"
    )
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1), None)
    with pytest.raises(SafetyUnavailable):
        safety_filter.screen_input(PII_TEXT, language="en")

    records = caplog.records
    assert any(r.name.startswith("safety") for r in records)
    for record in records:
        extras = {key: value for key, value in vars(record).items() if key not in _STANDARD}
        blob = f"{record.getMessage()} {record.args!r} {extras!r} {record.exc_text or ''}"
        assert not _leaks(blob), f"{record.name}: {record.getMessage()}"
    emf = capsys.readouterr().out
    assert emf and not _leaks(emf)


def test_logs_carry_types_counts_and_lengths(make_filter, comprehend_stub, caplog):
    caplog.set_level(logging.INFO, logger="safety")
    add_clean_input(comprehend_stub, PII_TEXT, pii=_all_entities())
    make_filter().screen_input(PII_TEXT, language="en")
    (record,) = [r for r in caplog.records if r.getMessage() == "safety screened"]
    info = record.safety
    assert info["phase"] == "input"
    assert info["chars"] == len(PII_TEXT)
    assert info["pii_types"]["NAME"] == 1
    assert info["pii_types"]["EMAIL"] == 2  # Comprehend's and the spaced one from the local pre-pass
    assert info["masked_count"] == 8


def _emf(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"_aws"' in line]


def _points(documents: list[dict], name: str) -> list[tuple[dict, float]]:
    points = []
    for document in documents:
        for directive in document["_aws"]["CloudWatchMetrics"]:
            if any(metric["Name"] == name for metric in directive["Metrics"]):
                dims = {key: document[key] for group in directive["Dimensions"] for key in group}
                value = document[name]
                points.append((dims, value[0] if isinstance(value, list) else value))
    return points


def test_metrics_are_emitted_with_their_dimensions(make_filter, comprehend_stub, bedrock_stub, capsys):
    metrics = Metrics(namespace="GenAI", service="orchestrator")
    safety_filter = make_filter(metrics=metrics)

    text = "Ana Ruiz and Ana Ruiz's manager Bo Li wrote from ana@example.com about the agenda."
    add_clean_input(
        comprehend_stub,
        text,
        pii=pii_entities(text, ("NAME", "Ana Ruiz"), ("NAME", "Ana Ruiz"), ("NAME", "Bo Li"), ("EMAIL", "ana@example.com")),
    )
    safety_filter.screen_input(text, language="en")

    comprehend_stub.add_response("detect_pii_entities", {"Entities": []}, None)
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1, toxicity=0.95, INSULT=0.9), None)
    bedrock_stub.add_response(
        "apply_guardrail",
        guardrail_response(True, filters=[{"type": "INSULTS", "confidence": "HIGH", "action": "BLOCKED"}]),
        None,
    )
    with pytest.raises(SafetyBlocked):
        safety_filter.screen_input("You are a useless idiot and everyone knows it.", language="en", guardrail=True)

    comprehend_stub.add_client_error("detect_pii_entities", service_error_code="ThrottlingException")
    comprehend_stub.add_response("detect_toxic_content", toxicity_response(1), None)
    with pytest.raises(SafetyUnavailable):
        safety_filter.screen_input("A harmless question about the weather today.", language="en")

    documents = _emf(capsys.readouterr().out)
    assert all(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "GenAI" for doc in documents)
    assert all(doc.get("service") == "orchestrator" for doc in documents)
    masked = {dims["EntityType"]: value for dims, value in _points(documents, "PiiEntitiesMasked")}
    assert masked == {"NAME": 3, "EMAIL": 1}
    blocked = sorted(dims["Reason"] for dims, _ in _points(documents, "SafetyBlocked"))
    assert blocked == ["guardrail", "toxicity"]
    assert [dims["Source"] for dims, _ in _points(documents, "GuardrailInterventions")] == ["INPUT"]
    errors = [(dims["Check"], dims["ErrorKind"]) for dims, _ in _points(documents, "FilterErrors")]
    assert errors == [("pii", "throttled")]
    latency_checks = {dims["Check"] for dims, _ in _points(documents, "FilterLatency")}
    assert latency_checks >= {"pii", "toxicity", "guardrail"}
    assert all(value >= 0 for _, value in _points(documents, "FilterLatency"))


def test_no_metrics_object_means_no_emf(make_filter, comprehend_stub, capsys):
    add_clean_input(comprehend_stub, "A harmless question about the weather today.")
    make_filter().screen_input("A harmless question about the weather today.", language="en")
    assert _emf(capsys.readouterr().out) == []


def test_each_point_is_the_document_single_metric_writes(capsys):
    # The sink reuses one Powertools metrics object for every point: each document must still be exactly
    # what a fresh single_metric writes (namespace, dimension sets in order, unit, value), one per point.
    from aws_lambda_powertools.metrics import MetricUnit, single_metric
    from safety._metrics import MetricsSink

    metrics = Metrics(namespace="GenAI", service="orchestrator")
    metrics.set_default_dimensions(environment="dev")
    sink = MetricsSink(metrics)
    sink.latency("pii", 12.3456)
    sink.filter_error("toxicity", "throttled")
    with single_metric(
        name="FilterLatency", unit=MetricUnit.Milliseconds, value=12.346, namespace="GenAI",
        default_dimensions={"environment": "dev", "service": "orchestrator"},
    ) as metric:
        metric.add_dimension(name="Check", value="pii")
    with single_metric(
        name="FilterErrors", unit=MetricUnit.Count, value=1, namespace="GenAI",
        default_dimensions={"environment": "dev", "service": "orchestrator"},
    ) as metric:
        metric.add_dimension(name="Check", value="toxicity")
        metric.add_dimension(name="ErrorKind", value="throttled")
    documents = _emf(capsys.readouterr().out)
    for document in documents:
        del document["_aws"]["Timestamp"]
    assert documents[:2] == documents[2:]


def test_a_point_that_fails_leaves_nothing_for_the_next(capsys, caplog, monkeypatch):
    from safety._metrics import MetricsSink

    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    metrics = Metrics(namespace="GenAI", service="orchestrator")
    sink = MetricsSink(metrics)
    metrics.namespace = None  # Powertools refuses a document without a namespace, after taking its metric
    sink.latency("pii", 5.0)
    assert any(record.getMessage() == "safety metric not emitted" for record in caplog.records)
    metrics.namespace = "GenAI"
    sink.latency("toxicity", 1.0)
    (document,) = _emf(capsys.readouterr().out)
    assert (document["Check"], document["FilterLatency"]) == ("toxicity", [1.0])


def test_a_repeated_shape_is_still_the_document_single_metric_writes(capsys, monkeypatch):
    # emf_shapes.py renders each shape once through Powertools and then only sets the timestamp and value:
    # the second point of a shape (and one of another shape in between) must be field for field what a fresh
    # single_metric writes for it, and the timestamp must be the point's own.
    from aws_lambda_powertools.metrics import MetricUnit, single_metric
    from safety._metrics import MetricsSink

    metrics = Metrics(namespace="GenAI", service="orchestrator")
    metrics.set_default_dimensions(environment="dev")
    sink = MetricsSink(metrics)
    sink.latency("pii", 1.5)
    sink.latency("toxicity", 7.25)
    with monkeypatch.context() as clock:
        clock.setattr("emf_shapes.time.time", lambda: 1_900_000_000.25)
        sink.latency("pii", 2.0)
    for value, check in ((1.5, "pii"), (7.25, "toxicity"), (2.0, "pii")):
        with single_metric(
            name="FilterLatency", unit=MetricUnit.Milliseconds, value=value, namespace="GenAI",
            default_dimensions={"environment": "dev", "service": "orchestrator"},
        ) as metric:
            metric.add_dimension(name="Check", value=check)
    documents = _emf(capsys.readouterr().out)
    stamps = [document["_aws"].pop("Timestamp") for document in documents]
    assert documents[:3] == documents[3:]
    assert [document["FilterLatency"] for document in documents[:3]] == [[1.5], [7.25], [2.0]]
    assert stamps[2] == 1_900_000_000_250  # the point's own time, not its shape's first rendering's

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # Powertools' switch still holds (read at creation)
    MetricsSink(metrics).latency("pii", 3.0)
    assert _emf(capsys.readouterr().out) == []
