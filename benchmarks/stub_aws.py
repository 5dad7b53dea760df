"""In-process AWS for the benchmarks: a botocore ``before-send`` hook answers every call with a
canned, valid response at zero latency. Requests are still built, validated, signed and the
responses parsed by botocore, exactly as against AWS; only the HTTP exchange is skipped.

``install()`` adds the hook to botocore's built-in handlers, so every session and client created
afterwards (the handler's, boto3's, LangChain's) is answered. Stdlib + botocore only.
"""

from __future__ import annotations

import io
import json
import uuid

ANSWER = "The board approved the budget on Monday. Spending rises 4% next year."
#: Retrieve's answer: 10 chunks of 1 KB (benchmarks/grounded_overhead.py).
CHUNK_TEXT = ("Deploy an environment with make deploy after make doctor passes; alarms reach the topic. " * 12)[:1024]
RETRIEVED = [
    {
        "content": {"text": CHUNK_TEXT, "type": "TEXT"},
        "location": {"type": "S3", "s3Location": {"uri": f"s3://bench-docs/guide-{n}.md"}},
        "metadata": {"x-amz-bedrock-kb-source-uri": f"s3://bench-docs/guide-{n}.md"},
        "score": 0.9 - n / 100,
    }
    for n in range(10)
]
GROUNDING_ASSESSMENT = {
    "contextualGroundingPolicy": {
        "filters": [
            {"type": "GROUNDING", "threshold": 0.75, "score": 0.91, "action": "NONE", "detected": False},
            {"type": "RELEVANCE", "threshold": 0.5, "score": 0.88, "action": "NONE", "detected": False},
        ]
    }
}


class _Raw(io.BytesIO):
    def stream(self, **_):
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def _response(request, body: dict):
    from botocore.awsrequest import AWSResponse

    headers = {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())}
    return AWSResponse(request.url, 200, headers, _Raw(json.dumps(body).encode()))


def _payload(request) -> dict:
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    try:
        return json.loads(body) if body else {}
    except ValueError:
        return {}


def canned(url: str, operation: str, payload: dict) -> dict:
    """The response body for one call: ``url`` without the query, ``operation`` from X-Amz-Target (JSON
    protocols) or empty (REST: Converse, Retrieve, ApplyGuardrail). Shared with cold_start_http.py's loopback fake."""
    if url.endswith("/converse"):
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": ANSWER}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 1100, "outputTokens": 20, "totalTokens": 1120},
            "metrics": {"latencyMs": 0},
        }
    if operation == "DetectDominantLanguage":
        return {"Languages": [{"LanguageCode": "en", "Score": 0.99}]}
    if operation == "DetectPiiEntities":
        return {"Entities": []}
    if operation == "DetectToxicContent":
        segments = payload.get("TextSegments", [])
        return {"ResultList": [{"Labels": [{"Name": "INSULT", "Score": 0.01}], "Toxicity": 0.01} for _ in segments]}
    if url.endswith("/retrieve"):
        return {"retrievalResults": RETRIEVED}
    if "/guardrail/" in url:
        grounding = any(block.get("text", {}).get("qualifiers") for block in payload.get("content", []))
        assessments = [GROUNDING_ASSESSMENT] if grounding else []
        return {"usage": {}, "action": "NONE", "outputs": [], "assessments": assessments}
    raise RuntimeError(f"benchmark stub: unexpected AWS call {url} {operation}")


def _answer(request, **_):
    target = request.headers.get("X-Amz-Target")
    operation = (target.decode() if isinstance(target, bytes) else target or "").split(".")[-1]
    return _response(request, canned(request.url.split("?")[0], operation, _payload(request)))


def install() -> None:
    import botocore.handlers

    botocore.handlers.BUILTIN_HANDLERS.append(("before-send", _answer))
