"""Metrics (EMF) and tracing switches."""

from __future__ import annotations

import json

from localaws import fakes


def emf_documents(text: str) -> list[dict]:
    docs = []
    for line in text.splitlines():
        if line.startswith('{"_aws"'):
            docs.append(json.loads(line))
    return docs


def test_model_metrics_and_request_counts(call, aws, captured_output) -> None:
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("ok", input_tokens=1000, output_tokens=200, latency_ms=512))
    assert call("POST", "/v1/generate", {"use_case": "summarize", "input": "hello"})[0] == 200
    assert call("GET", "/v1/nothing")[0] == 404
    docs = emf_documents(captured_output())
    model_doc = next(d for d in docs if "InputTokens" in d)
    directive = model_doc["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "GenAiStack"
    assert {"environment", "model", "use_case"} <= set(directive["Dimensions"][0])
    assert (model_doc["environment"], model_doc["model"], model_doc["use_case"]) == ("dev", fakes.HAIKU, "summarize")
    assert model_doc["InputTokens"] == [1000.0] and model_doc["OutputTokens"] == [200.0]
    assert model_doc["ModelLatency"] == [512.0]
    assert model_doc["EstimatedCost"][0] == round(1000 / 1000 * 0.00025 + 200 / 1000 * 0.00125, 8)
    classes = [d["status_class"] for d in docs if "Requests" in d]
    assert classes == ["2xx", "4xx"]


def test_every_model_call_adds_to_the_environment_token_total(call, aws, captured_output) -> None:
    # The daily token budget alarm sums one series per environment, whatever the model or use case
    # (Bedrock and the Inferentia endpoint alike), so it needs tokens under `environment` alone.
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("ok", input_tokens=1000, output_tokens=200))
    assert call("POST", "/v1/generate", {"use_case": "summarize", "input": "hello"})[0] == 200
    docs = [d for d in emf_documents(captured_output()) if "Tokens" in d]
    assert len(docs) == 1
    directive = docs[0]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Dimensions"] == [["environment", "service"]]  # Powertools adds the service
    assert directive["Metrics"] == [{"Name": "Tokens", "Unit": "Count"}]
    assert (docs[0]["environment"], docs[0]["Tokens"]) == ("dev", [1200.0])


def test_tracing_runs_only_in_lambda_and_can_be_disabled() -> None:
    from orchestrator.observability import tracing_enabled

    assert not tracing_enabled({})
    assert tracing_enabled({"LAMBDA_TASK_ROOT": "/var/task"})
    assert not tracing_enabled({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"})
    assert not tracing_enabled({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"})


def test_no_xray_import_outside_lambda(handler_module) -> None:
    from orchestrator.observability import tracer

    assert tracer() is None


def test_aws_error_messages_never_reach_an_exception(aws, _session_clients) -> None:
    # A ValidationException (or a SageMaker ModelError's OriginalMessage) can quote the request.
    # X-Ray's botocore patch records str(exception) in the trace, so the Lambda's clients drop
    # the message before botocore builds the exception; the code stays for the error mapping.
    import botocore.exceptions

    aws.on(
        "bedrock-runtime",
        "Converse",
        lambda req, _: fakes.aws_error(req, 400, "ValidationException", "Malformed input: SECRET prompt text"),
    )
    try:
        _session_clients.client("bedrock-runtime").converse(
            modelId=fakes.HAIKU, messages=[{"role": "user", "content": [{"text": "SECRET prompt text"}]}]
        )
    except botocore.exceptions.ClientError as exc:
        assert exc.response["Error"]["Code"] == "ValidationException"
        assert "SECRET" not in str(exc) and "SECRET" not in json.dumps(exc.response, default=str)
    else:  # pragma: no cover
        raise AssertionError("the fake error was not raised")


def test_each_model_call_writes_its_own_documents(call, aws, captured_output) -> None:
    # The two documents are reused between calls (observability.record_model_call): nothing of one
    # call may carry over into the next one's documents.
    aws.on("bedrock-runtime", "Converse", fakes.converse_reply("ok", input_tokens=1000, output_tokens=200))
    for use_case in ("summarize", "summarize"):
        assert call("POST", "/v1/generate", {"use_case": use_case, "input": "hello"})[0] == 200
    docs = emf_documents(captured_output())
    model_docs = [d for d in docs if "InputTokens" in d]
    totals = [d for d in docs if "Tokens" in d]
    assert len(model_docs) == 2 and len(totals) == 2
    for doc in model_docs:
        assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["environment", "model", "use_case", "service"]]
        assert (doc["InputTokens"], doc["OutputTokens"]) == ([1000.0], [200.0])
    for doc in totals:
        assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["environment", "service"]]
        assert doc["Tokens"] == [1200.0]


def test_shapes_past_the_cap_are_still_written_right(capsys, monkeypatch) -> None:
    # emf_shapes.py keeps at most MAX_SHAPES renderings; a shape past the cap is rendered for each point, and
    # every document is still its own point's (dimension values and value), whether cached or not.
    import emf_shapes
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    monkeypatch.setattr(emf_shapes, "MAX_SHAPES", 2)
    shapes = emf_shapes.EmfShapes(EphemeralMetrics())
    points = [(f"model-{index % 3}", float(index)) for index in range(6)]
    for model, value in points:
        shapes.emit("GenAI", "orchestrator", [("Tokens", MetricUnit.Count, value)], [("model", model)])
    docs = emf_documents(capsys.readouterr().out)
    assert [(doc["model"], doc["Tokens"]) for doc in docs] == [(model, [value]) for model, value in points]
    assert all(doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["model", "service"]] for doc in docs)
    assert len(shapes._shapes) == 2
