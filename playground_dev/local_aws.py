"""The playground's AWS, in this process: the project's FakeAws (localaws/fakes.py, shared with the tests)
answers Bedrock (Converse, ConverseStream, ApplyGuardrail), Comprehend and Retrieve at botocore's HTTP edge,
so requests are still built, validated, signed and parsed by botocore; moto answers DynamoDB (chat history).

The answers are canned but make each screen meaningful:

* the stub model answers in a few sentences quoting the request's input (streamed in word chunks with small
  delays), cites ``[1]`` when the prompt holds retrieved documents, and each model answers at its own pace, so
  compare shows different latencies;
* Comprehend finds e-mail addresses, phone numbers, card numbers, AWS access key ids and a few sample names
  (:data:`SAMPLE_PII`), so the real safety filter masks them (and blocks the access key, as its defaults say);
  text with a word of :data:`TOXIC_WORDS` is toxic, so the filter blocks it (422);
* an input containing :data:`THROTTLE_MARKER` makes every model call throttled (429 with Retry-After, after
  botocore's retries), :data:`UNAVAILABLE_MARKER` makes the model unavailable (503);
* Retrieve scores the paragraphs of knowledge/sample_corpus/ by the words they share with the question.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from localaws import fakes, streams

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "knowledge" / "sample_corpus"
CORPUS_BUCKET = "s3://genai-local-docs/sample-corpus"

THROTTLE_MARKER = "#throttle"
UNAVAILABLE_MARKER = "#unavailable"
TOXIC_WORDS = ("idiot", "moron", "stupid")
#: Sample inputs that exercise each check (the README and the browser tests use them).
SAMPLE_PII = "Write to ann.lee@example.com or call +1 206-555-0100 about card 4111 1111 1111 1111."
SAMPLE_TOXIC = "You are an idiot and everyone knows it."

#: Only Bedrock models: the stub answers Converse; the SageMaker containers' formats are not faked here.
MODELS = [model for model in fakes.MODELS if model["backend"] == "bedrock"]
KNOWLEDGE_BASE = {**fakes.KNOWLEDGE_BASE, "grounded_use_cases": ["answer"]}
ENV = {
    **fakes.ENV,
    "ENVIRONMENT_NAME": "local",
    "MODELS": json.dumps(MODELS),
    "CONVERSATION_TABLE": "genai-local-conversations",
    "KNOWLEDGE_BASES": json.dumps([KNOWLEDGE_BASE]),
    "LOG_LEVEL": "WARNING",  # the dev server prints one access line per request instead
    "POWERTOOLS_TRACE_DISABLED": "true",
}
#: Variables of a real AWS setup that must not leak into the local run.
_UNSET = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "LAMBDA_TASK_ROOT", "AWS_SAM_LOCAL",
          "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")

# --------------------------------------------------------------------------- Comprehend
_PII_PATTERNS = (
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")),
    ("AWS_ACCESS_KEY", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("CREDIT_DEBIT_NUMBER", re.compile(r"\b\d{4}(?:[ -]?\d{4}){3}\b")),
    ("PHONE", re.compile(r"(?<![\w+])\+?\d{1,3}[ -]?\(?\d{3}\)?[ -]?\d{3}[ -]\d{4}\b")),
    ("NAME", re.compile(r"\b(?:Ann Lee|John Smith|Maria Garcia)\b")),
)
_TOXIC_RE = re.compile(r"\b(" + "|".join(TOXIC_WORDS) + r")\b", re.IGNORECASE)


def _language(request: Any, payload: dict) -> Any:
    return fakes.aws_response(request, 200, {"Languages": [{"LanguageCode": "en", "Score": 0.99}]})


def _pii(request: Any, payload: dict) -> Any:
    text = payload["Text"]
    entities = [{"Type": kind, "BeginOffset": m.start(), "EndOffset": m.end(), "Score": 0.99}
                for kind, pattern in _PII_PATTERNS for m in pattern.finditer(text)]
    return fakes.aws_response(request, 200, {"Entities": sorted(entities, key=lambda e: e["BeginOffset"])})


def _toxicity(request: Any, payload: dict) -> Any:
    from safety import TOXICITY_LABELS

    results = []
    for segment in payload["TextSegments"]:
        toxic = bool(_TOXIC_RE.search(segment["Text"]))
        labels = [{"Name": name, "Score": 0.96 if toxic and name == "INSULT" else 0.01} for name in TOXICITY_LABELS]
        results.append({"Labels": labels, "Toxicity": 0.96 if toxic else 0.01})
    return fakes.aws_response(request, 200, {"ResultList": results})


def _guardrail(request: Any, payload: dict) -> Any:
    """ApplyGuardrail: nothing intervenes; a contextual grounding check (qualified blocks) passes."""
    if any(block.get("text", {}).get("qualifiers") for block in payload.get("content", [])):
        return fakes.grounding_reply(0.93, 0.88)(request, payload)
    return fakes.aws_response(request, 200, {"usage": {}, "action": "NONE", "outputs": [], "assessments": []})


# --------------------------------------------------------------------------- Retrieve
def _corpus() -> list[tuple[str, str]]:
    """(source uri, paragraph) for every paragraph of the sample corpus."""
    chunks = []
    for path in sorted(CORPUS_DIR.glob("*.md")):
        for paragraph in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            text = " ".join(paragraph.split())
            if len(text) > 80 and not text.startswith("#"):
                chunks.append((f"{CORPUS_BUCKET}/{path.name}", text))
    return chunks


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{4,}", text.lower()))


def _retrieve(corpus: list[tuple[str, str]]) -> Any:
    def handler(request: Any, payload: dict) -> Any:
        question = _words(payload["retrievalQuery"]["text"])
        limit = payload.get("retrievalConfiguration", {}).get("vectorSearchConfiguration", {}).get("numberOfResults", 5)
        scored = sorted(((len(question & _words(text)) / (len(question) or 1), source, text) for source, text in corpus),
                        key=lambda item: -item[0])[:limit]
        chunks = [fakes.chunk(text, round(0.35 + 0.6 * score, 4), source) for score, source, text in scored]
        return fakes.retrieve_reply(*chunks)(request, payload)

    return handler


# --------------------------------------------------------------------------- the stub model
_INPUT = re.compile(r"<input>((?:(?!<input>).)*?)</input>", re.DOTALL)
_DOCUMENT = re.compile(r'<document n="(\d+)">(.*?)</document>', re.DOTALL)


def _prompt_of(payload: dict) -> str:
    return "\n".join(block.get("text", "") for block in payload["messages"][-1]["content"])


def _pace(model: str) -> float:
    """Seconds this model takes per answer (stable per model, so compare's columns differ)."""
    return 0.08 + (zlib.crc32(model.encode()) % 5) * 0.04


def answer_for(prompt: str, model: str) -> str:
    """The stub model's answer: quotes the input, cites [1] when the prompt holds documents."""
    found = _INPUT.findall(prompt)
    quoted = " ".join((found[-1] if found else prompt).split())[:160] or "your request"
    name = model.rsplit("/", 1)[-1]
    documents = _DOCUMENT.findall(prompt)
    if documents:
        first = " ".join(documents[0][1].split()).split(". ")[0][:200]
        return f"According to the documents, {first} [{documents[0][0]}]. This answer was written by the local stub model."
    return (f"This is the local stub model {name} answering. You asked: \"{quoted}\". "
            "A deployed environment would call Amazon Bedrock here. "
            "The text you see went through the same safety checks as in AWS. "
            "Each sentence arrives as its own streamed window.")


def _fault(request: Any, prompt: str) -> Any | None:
    if THROTTLE_MARKER in prompt:
        return fakes.aws_error(request, 429, "ThrottlingException", "Too many requests")
    if UNAVAILABLE_MARKER in prompt:
        return fakes.aws_error(request, 503, "ServiceUnavailableException", "Service unavailable")
    return None


def _converse(request: Any, payload: dict) -> Any:
    prompt = _prompt_of(payload)
    fault = _fault(request, prompt)
    if fault is not None:
        return fault
    model = fakes.model_of(request)
    pace = _pace(model)
    time.sleep(pace)
    text = answer_for(prompt, model)
    return fakes.converse_reply(text, input_tokens=max(1, len(prompt) // 4), output_tokens=max(1, len(text) // 4),
                                latency_ms=int(pace * 1000))(request, payload)


def _converse_stream(request: Any, payload: dict) -> Any:
    prompt = _prompt_of(payload)
    fault = _fault(request, prompt)
    if fault is not None:
        return fault
    text = answer_for(prompt, fakes.model_of(request))
    words = text.split(" ")
    tokens = [" ".join(words[i:i + 2]) + (" " if i + 2 < len(words) else "") for i in range(0, len(words), 2)]
    frames = streams.converse_frames(tokens, input_tokens=max(1, len(prompt) // 4))
    return streams.streamed(frames, delay=0.03)(request, payload)


def fake_aws() -> fakes.FakeAws:
    aws = fakes.FakeAws()
    aws.on("comprehend", "DetectDominantLanguage", _language)
    aws.on("comprehend", "DetectPiiEntities", _pii)
    aws.on("comprehend", "DetectToxicContent", _toxicity)
    aws.on("bedrock-runtime", "ApplyGuardrail", _guardrail)
    aws.on("bedrock-runtime", "Converse", _converse)
    aws.on("bedrock-runtime", "ConverseStream", _converse_stream)
    aws.on("bedrock-agent-runtime", "Retrieve", _retrieve(_corpus()))
    return aws


# --------------------------------------------------------------------------- DynamoDB (moto)
def create_conversation_table(name: str) -> None:
    """The chat-history table as cdk/components/conversation_table declares it (keys, owner index, TTL)."""
    import botocore.session
    from orchestrator import history_contract

    client = botocore.session.get_session().create_client("dynamodb", region_name=ENV["AWS_DEFAULT_REGION"])
    client.create_table(**history_contract.create_table_request(name))  # keys and the owner index
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})


#: botocore calls every before-send handler, moto's too: moto lets the FakeAws services pass (as
#: tests/unit/orchestrator/test_orchestrator_chat.py does).
_MOTO_PASSTHROUGH = {"urls": [r"https://(bedrock-runtime|bedrock-agent-runtime|runtime\.sagemaker|comprehend)\..*"]}


@contextlib.contextmanager
def local_aws() -> Iterator[fakes.FakeAws]:
    """Inside the block: the local environment variables, every botocore client but DynamoDB's answered by one
    FakeAws, DynamoDB by moto (with the conversation table). Import ``handler`` inside the block."""
    import botocore.session
    from moto import mock_aws

    saved = dict(os.environ)
    for name in _UNSET:
        os.environ.pop(name, None)
    os.environ.update(ENV)
    aws = fake_aws()
    original = botocore.session.Session.create_client

    def create_client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        client = original(self, service_name, *args, **kwargs)
        if service_name != "dynamodb":
            aws.attach(client)
        return client

    botocore.session.Session.create_client = create_client
    try:
        with mock_aws(config={"core": {"passthrough": _MOTO_PASSTHROUGH}}):
            create_conversation_table(ENV["CONVERSATION_TABLE"])
            yield aws
    finally:
        botocore.session.Session.create_client = original
        os.environ.clear()
        os.environ.update(saved)
