"""AWS doubles for the tests, the playground's dev server, the local evaluation and the benchmarks.

* :class:`FakeAws` answers AWS calls at botocore's ``before-send`` hook: the request is built,
  validated against the service model, signed and retried exactly as for real; only the HTTP
  exchange is replaced. Responses are parsed by botocore, so they must be valid wire JSON.
* :class:`FakeSafetyFilter` implements the safety package's contract in a few lines
  (pseudonymizes e-mail addresses, blocks a marker word).
* Canned events and a Lambda context.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse

GUARDRAIL_ID = "gr0abc123def"
GUARDRAIL_ARN = f"arn:aws:bedrock:eu-west-1:123456789012:guardrail/{GUARDRAIL_ID}"
GUARDRAIL_VERSION = "3"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
LLAMA = "meta.llama3-8b-instruct-v1:0"
SONNET45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
COHERE = "cohere.command-r-v1:0"
TGI = "inf2-llama"
LMI = "inf2-lmi"
SONNET45_PROFILE = "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/abc123def456"
CALLER = "arn:aws:iam::123456789012:user/alice"

MODELS = [
    {
        "id": HAIKU,
        "backend": "bedrock",
        "target": HAIKU,
        "max_tokens": 4096,
        "top_k": True,
        "image": True,
        "price_in": 0.00025,
        "price_out": 0.00125,
    },
    {
        "id": NOVA,
        "backend": "bedrock",
        "target": NOVA,
        "max_tokens": 5000,
        "top_k": 128,
        "image": True,
        "price_in": 0.00006,
        "price_out": 0.00024,
    },
    {"id": LLAMA, "backend": "bedrock", "target": LLAMA, "max_tokens": 2048, "price_in": 0.0003, "price_out": 0.0006},
    {
        "id": SONNET45,
        "backend": "bedrock",
        "target": SONNET45_PROFILE,
        "max_tokens": 8192,
        "top_k": True,
        "top_p": False,
        "image": True,
        "price_in": 0.003,
        "price_out": 0.015,
    },
    {"id": COHERE, "backend": "bedrock", "target": COHERE, "max_tokens": 4000, "top_k": True},
    {"id": TGI, "backend": "sagemaker", "endpoint": "genai-dev-inf2", "container": "tgi", "max_tokens": 1024},
    {"id": LMI, "backend": "sagemaker", "endpoint": "genai-dev-lmi", "container": "lmi", "max_tokens": 1024},
]

ENV = {
    "ENVIRONMENT_NAME": "dev",
    "POWERTOOLS_SERVICE_NAME": "orchestrator",
    "POWERTOOLS_METRICS_NAMESPACE": "GenAiStack",
    "LOG_LEVEL": "INFO",
    "MODELS": json.dumps(MODELS),
    "DEFAULT_MODELS": json.dumps({"text": HAIKU, "chat": HAIKU, "code": HAIKU, "vision": HAIKU}),
    "GUARDRAIL_ARN": GUARDRAIL_ARN,
    "GUARDRAIL_VERSION": GUARDRAIL_VERSION,
    "SAFETY_CONFIG": json.dumps({"pii_mode": "pseudonymize"}),
    "CONVERSATION_TABLE": "genai-dev-conversations",
    "CONVERSATION_TTL_SECONDS": "3600",
    "CHAT_HISTORY_MAX_TOKENS": "2000",
    "REQUEST_DEADLINE_SECONDS": "27",
    "MAX_INPUT_CHARS": "12000",
    "GUARDRAIL_SCREENS_IMAGES": "true",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "false",
}


def make_png(width: int = 1, height: int = 1) -> bytes:
    """A valid PNG (grayscale, all black) of the given size."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(min(height, 4)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def make_jpeg(width: int = 1, height: int = 1) -> bytes:
    """JPEG markers up to the frame header (SOI, APP0/JFIF, SOF0) and EOI: enough structure for
    the size check; the fake Bedrock never decodes it."""
    import struct

    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


PNG_1X1 = make_png()
JPEG_1X1 = make_jpeg()


# --------------------------------------------------------------------------- AWS at the HTTP edge
class _Raw(io.BytesIO):
    def stream(self, **_: Any):
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def aws_response(request: Any, status: int, body: Any, headers: dict[str, str] | None = None) -> AWSResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())}
    hdrs.update(headers or {})
    return AWSResponse(request.url, status, hdrs, _Raw(raw))


def aws_error(request: Any, status: int, code: str, message: str = "error") -> AWSResponse:
    return aws_response(
        request, status, {"__type": code, "message": message}, {"x-amzn-ErrorType": f"{code}:http://internal.amazon.com/"}
    )


class FakeAws:
    """Routes each signed request to a handler by (service, operation); records every call."""

    def __init__(self) -> None:
        self.handlers: dict[tuple[str, str], Callable[[Any, dict], AWSResponse]] = {}
        self.calls: list[tuple[str, str, Any]] = []
        self.requested_urls: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def on(self, service: str, operation: str, handler: Callable[[Any, dict], AWSResponse]) -> None:
        self.handlers[(service, operation)] = handler

    def attach(self, client: Any) -> None:
        client.meta.events.register_first("before-send", self._before_send)

    def _before_send(self, request: Any, **kwargs: Any) -> AWSResponse:
        host = urlsplit(request.url).hostname or ""
        label = host.split(".")[0]
        service = "sagemaker-runtime" if host.startswith("runtime.sagemaker.") else label
        operation = self._operation(request)
        body = request.body
        if isinstance(body, (bytes, bytearray)):
            raw = bytes(body)
        elif body is None:
            raw = b""
        else:
            raw = body.read() if hasattr(body, "read") else str(body).encode()
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {"_raw": raw}
        with self._lock:
            self.calls.append((service, operation, payload))
            self.requested_urls.append((service, operation, request.url))
        handler = self.handlers.get((service, operation))
        if handler is None:
            raise AssertionError(f"unexpected AWS call {service!r} {operation!r}")
        return handler(request, payload)

    @staticmethod
    def _operation(request: Any) -> str:
        target = request.headers.get("X-Amz-Target")
        if target:
            return (target.decode() if isinstance(target, bytes) else target).split(".")[-1]
        path = request.url.split("?")[0]
        if path.endswith("/converse"):
            return "Converse"
        if path.endswith("/converse-stream"):
            return "ConverseStream"
        if "/runtimes/" in path and path.endswith("/invocations"):
            return "InvokeAgentRuntime"
        if path.endswith("/invocations-response-stream"):
            return "InvokeEndpointWithResponseStream"
        if path.endswith("/invocations"):
            return "InvokeEndpoint"
        if "/guardrail/" in path and path.endswith("/apply"):
            return "ApplyGuardrail"
        if "/knowledgebases/" in path and path.endswith("/retrieve"):
            return "Retrieve"
        return path

    def count(self, service: str, operation: str) -> int:
        return sum(1 for s, o, _ in self.calls if s == service and o == operation)

    def payloads(self, service: str, operation: str) -> list[dict]:
        return [p for s, o, p in self.calls if s == service and o == operation]

    def urls(self, service: str, operation: str) -> list[str]:
        return [u for s, o, u in self.requested_urls if s == service and o == operation]


def model_of(request: Any) -> str:
    """The modelId of a Converse request (a URI parameter: /model/{modelId}/converse)."""
    from urllib.parse import unquote

    return unquote(urlsplit(request.url).path.split("/")[2])


def converse_reply(
    text: str = "A short answer.",
    *,
    stop: str = "end_turn",
    input_tokens: int = 120,
    output_tokens: int = 12,
    latency_ms: int = 340,
) -> Callable[[Any, dict], AWSResponse]:
    def handler(request: Any, payload: dict) -> AWSResponse:
        return aws_response(
            request,
            200,
            {
                "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                "stopReason": stop,
                "usage": {
                    "inputTokens": input_tokens,
                    "outputTokens": output_tokens,
                    "totalTokens": input_tokens + output_tokens,
                },
                "metrics": {"latencyMs": latency_ms},
            },
        )

    return handler


def echo_converse(request: Any, payload: dict) -> AWSResponse:
    """Answers with the last user turn's text (to see what the model received)."""
    text = payload["messages"][-1]["content"][-1]["text"]
    return converse_reply("ECHO:" + text)(request, payload)


KB_ID = "KB12345678"
KNOWLEDGE_BASE = {
    "name": "operations-guide",
    "id": KB_ID,
    "description": "How to deploy and run this stack",
    "filterable_keys": ["topic", "audience"],
    "max_results": 5,
    "min_score": 0.3,
    "grounded_use_cases": ["answer", "chat"],
    "grounding_threshold": 0.75,
    "relevance_threshold": 0.5,
    "below_threshold": "reject",
    "retrieved_text_pii": "mask",
}


def chunk(text: str, score: float, source: str = "s3://docs/sample-corpus/deploying.md") -> dict[str, Any]:
    """One Retrieve result of an S3 data source."""
    return {
        "content": {"text": text, "type": "TEXT"},
        "location": {"type": "S3", "s3Location": {"uri": source}},
        "metadata": {"x-amz-bedrock-kb-source-uri": source, "topic": "deploying"},
        "score": score,
    }


def retrieve_reply(*chunks: dict[str, Any]) -> Callable[[Any, dict], AWSResponse]:
    def handler(request: Any, payload: dict) -> AWSResponse:
        return aws_response(request, 200, {"retrievalResults": list(chunks)})

    return handler


def grounding_reply(grounding: float, relevance: float, threshold: float = 0.1) -> Callable[[Any, dict], AWSResponse]:
    """ApplyGuardrail's answer with a contextual grounding assessment (detect-only filters: action NONE)."""

    def handler(request: Any, payload: dict) -> AWSResponse:
        filters = [
            {"type": kind, "threshold": threshold, "score": score, "action": "NONE", "detected": score < threshold}
            for kind, score in (("GROUNDING", grounding), ("RELEVANCE", relevance))
        ]
        return aws_response(
            request,
            200,
            {"usage": {}, "action": "NONE", "outputs": [], "assessments": [{"contextualGroundingPolicy": {"filters": filters}}]},
        )

    return handler


def sagemaker_reply(body: Any) -> Callable[[Any, dict], AWSResponse]:
    def handler(request: Any, payload: dict) -> AWSResponse:
        return aws_response(request, 200, body)

    return handler


def slow(seconds: float, inner: Callable[[Any, dict], AWSResponse]) -> Callable[[Any, dict], AWSResponse]:
    def handler(request: Any, payload: dict) -> AWSResponse:
        time.sleep(seconds)
        return inner(request, payload)

    return handler


# --------------------------------------------------------------------------- safety contract fake
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


class FakeScreening:
    def __init__(self, text: str, mapping: dict[str, str], language: str) -> None:
        self.text = text
        self.language = language
        self.analysis = {"language": language, "pii": {"masked_count": len(mapping)}, "fake": True}
        self._mapping = mapping

    def restore(self, text: str) -> str:
        for placeholder, value in self._mapping.items():
            text = text.replace(placeholder, value)
        return text


class FakeOutput:
    def __init__(self, text: str) -> None:
        self.text = text
        self.analysis = {"fake": True}


class FakeSafetyFilter:
    """The safety contract: e-mails pseudonymized as [EMAIL_n]; "BLOCKME" blocked (toxicity)."""

    def __init__(self) -> None:
        self.inputs: list[tuple[str, bool]] = []
        self.outputs: list[tuple[str, bool]] = []
        self.fail_with: Exception | None = None

    def screen_input(
        self, text: str, *, language: str | None = None, guardrail: bool = False, added_chars: int = 0
    ) -> FakeScreening:
        import safety

        self.inputs.append((text, guardrail))
        if self.fail_with is not None:
            raise self.fail_with
        if "BLOCKME" in text:
            raise safety.SafetyBlocked(
                "the input was blocked by the toxicity check", check="toxicity", details={"labels": ["INSULT"]}
            )
        mapping: dict[str, str] = {}
        start = len(re.findall(r"\[EMAIL_\d+\]", text))

        def sub(match: re.Match[str]) -> str:
            placeholder = f"[EMAIL_{start + len(mapping) + 1}]"
            mapping[placeholder] = match.group(0)
            return placeholder

        return FakeScreening(_EMAIL.sub(sub, text), mapping, language or "en")

    def screen_output(self, text: str, *, screening: Any, guardrail: bool = False) -> FakeOutput:
        import safety

        self.outputs.append((text, guardrail))
        if "BLOCKME" in text:
            raise safety.SafetyBlocked("the output was blocked by the toxicity check", check="toxicity")
        return FakeOutput(screening.restore(text))

    def moderate(self, text: str, *, language: str | None = None) -> dict[str, Any]:
        return {"verdict": "blocked" if "BLOCKME" in text else "allowed", "language": language or "en", "chars": len(text)}


# --------------------------------------------------------------------------- events
class LambdaContext:
    function_name = "genai-dev-orchestrator"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:genai-dev-orchestrator"

    def __init__(self, remaining_ms: int = 30_000) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._end = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return int(max(0, self._end - time.monotonic()) * 1000)


def api_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    caller: str | None = CALLER,
    request_id: str | None = None,
    raw_body: str | None = None,
    cognito_sub: str | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    identity = (
        {"userArn": caller, "caller": "AIDAEXAMPLE", "accountId": "123456789012"} if caller else {"userArn": None, "caller": None}
    )
    authorizer = None
    if cognito_sub:  # a Cognito user-pool authorizer fills claims, not the IAM identity
        identity = {"userArn": None, "caller": None, "sourceIp": "198.51.100.7"}
        authorizer = {"claims": {"sub": cognito_sub, "token_use": "id"}}
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {key: [value] for key, value in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "requestId": request_id or str(uuid.uuid4()),
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "identity": identity,
            **({"authorizer": authorizer} if authorizer else {}),
        },
        "body": raw_body if raw_body is not None else (None if body is None else json.dumps(body)),
        "isBase64Encoded": False,
    }
