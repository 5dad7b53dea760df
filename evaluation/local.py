"""``make evaluate-local``: the same runner against the orchestrator's handler in this process, with the
project's AWS fakes (localaws/fakes.py) answering every AWS call at botocore's HTTP edge.

Requests are still built, validated against the service models, signed and parsed by botocore, and the
real safety package screens input and output (Comprehend answered by the fakes). Model outputs are stubs:
the stub model answers with the first sentence of the prompt's <input>, so the metrics are computed over
real plumbing but say nothing about model quality (the report says so).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from evaluation_metrics import requests

from localaws import fakes

STUB_MODELS = (fakes.HAIKU, fakes.NOVA)
_INPUT = re.compile(r"<input>((?:(?!<input>).)*?)</input>", re.DOTALL)  # the innermost block: instructions mention <input>
_SENTENCE = re.compile(r"(.+?[.!?])(\s|$)", re.DOTALL)
_SPANISH_HINTS = re.compile(r"[ñáéíóú¿¡]|\b(el|la|los|las|del|que|por|para)\b", re.IGNORECASE)


def _stub_converse(request: Any, payload: dict) -> Any:
    prompt = payload["messages"][-1]["content"][-1].get("text", "")
    found = _INPUT.findall(prompt)
    text = (found[-1] if found else prompt).strip()
    sentence = _SENTENCE.match(text)
    answer = (sentence.group(1) if sentence else text)[:400] or "I don't know"
    return fakes.converse_reply(answer, input_tokens=len(prompt) // 4, output_tokens=max(1, len(answer) // 4),
                                latency_ms=300 + len(answer))(request, payload)


def _comprehend(aws: fakes.FakeAws) -> None:
    def language(request: Any, payload: dict) -> Any:
        code = "es" if _SPANISH_HINTS.search(payload.get("Text", "")) else "en"
        return fakes.aws_response(request, 200, {"Languages": [{"LanguageCode": code, "Score": 0.98}]})

    def toxicity(request: Any, payload: dict) -> Any:
        return fakes.aws_response(request, 200, {"ResultList": [{"Labels": [], "Toxicity": 0.01}
                                                                for _ in payload["TextSegments"]]})

    aws.on("comprehend", "DetectDominantLanguage", language)
    aws.on("comprehend", "DetectPiiEntities", lambda request, payload: fakes.aws_response(request, 200, {"Entities": []}))
    aws.on("comprehend", "DetectToxicContent", toxicity)
    # The guardrail screens what Comprehend's toxicity check does not cover (e.g. Spanish): it lets all pass.
    aws.on("bedrock-runtime", "ApplyGuardrail", lambda request, payload: fakes.aws_response(
        request, 200, {"usage": {}, "action": "NONE", "outputs": [], "assessments": []}))


@contextlib.contextmanager
def stubbed_aws() -> Iterator[fakes.FakeAws]:
    """Every botocore client created inside the block is answered by one FakeAws."""
    import botocore.session

    aws = fakes.FakeAws()
    aws.on("bedrock-runtime", "Converse", _stub_converse)
    aws.on("dynamodb", "TransactWriteItems", lambda request, payload: fakes.aws_response(request, 200, {}))
    _comprehend(aws)
    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        aws.attach(client)
        return client

    saved = dict(os.environ)
    os.environ.update(fakes.ENV)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "LAMBDA_TASK_ROOT"):
        os.environ.pop(name, None)
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    os.environ["LOG_LEVEL"] = "ERROR"
    botocore.session.Session.create_client = create_client
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the handler's EMF metric lines are not the report
            yield aws
    finally:
        botocore.session.Session.create_client = original
        os.environ.clear()
        os.environ.update(saved)


def transport() -> Any:
    """A transport that invokes the orchestrator's handler with the API Gateway proxy event (call inside
    :func:`stubbed_aws`)."""
    import handler  # the orchestrator's Lambda entry point (lambdas/orchestrator/handler.py)

    def send(item: Mapping[str, Any], model: str) -> dict[str, Any]:
        path, body = requests.api_request(item, model)
        response = handler.handler(requests.proxy_event(path, body), fakes.LambdaContext())
        return requests.record_from_proxy(item, model, response)

    return send

