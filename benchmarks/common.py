"""Shared setup for the orchestrator benchmarks: the environment the stack sets, the request
and a Lambda context. Stdlib only (imported by fresh child processes)."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ORCHESTRATOR_DIR = ROOT / "lambdas" / "orchestrator"
BENCH_DIR = ROOT / "benchmarks"
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"

ENV = {
    "ENVIRONMENT_NAME": "bench",
    "POWERTOOLS_SERVICE_NAME": "orchestrator",
    "POWERTOOLS_METRICS_NAMESPACE": "GenAiStack",
    "LOG_LEVEL": "INFO",
    "MODELS": json.dumps(
        [
            {
                "id": MODEL,
                "backend": "bedrock",
                "target": MODEL,
                "max_tokens": 4096,
                "top_k": True,
                "image": True,
                "price_in": 0.00025,
                "price_out": 0.00125,
            }
        ]
    ),
    "DEFAULT_MODELS": json.dumps({"text": MODEL, "chat": MODEL, "code": MODEL, "vision": MODEL}),
    "GUARDRAIL_ARN": "arn:aws:bedrock:eu-west-1:123456789012:guardrail/gr0abc123def",
    "GUARDRAIL_VERSION": "3",
    "SAFETY_CONFIG": json.dumps({"pii_mode": "pseudonymize"}),
    "CONVERSATION_TABLE": "genai-bench-conversations",
    "CONVERSATION_TTL_SECONDS": "3600",
    "CHAT_HISTORY_MAX_TOKENS": "4000",
    "REQUEST_DEADLINE_SECONDS": "27",
    "MAX_INPUT_CHARS": "20000",
    "AWS_ACCESS_KEY_ID": "benchmark",
    "AWS_SECRET_ACCESS_KEY": "benchmark",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}

SENTENCE = "The quarterly board meeting reviewed spending, hiring plans and the product roadmap in detail. "
INPUT_4KB = (SENTENCE * (4096 // len(SENTENCE) + 1))[:4096]


def generate_event(text: str = INPUT_4KB, language: str | None = None) -> dict:
    """``POST /v1/generate`` of ``text`` (summarize); ``language``: the request's optional language field."""
    body = {"use_case": "summarize", "input": text, **({"language": language} if language else {})}
    return {
        "resource": "/{proxy+}",
        "path": "/v1/generate",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "pathParameters": {"proxy": "v1/generate"},
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "httpMethod": "POST",
            "path": "/prod/v1/generate",
            "stage": "prod",
            "identity": {"userArn": "arn:aws:iam::123456789012:user/bench", "caller": "AIDABENCH"},
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


class Context:
    function_name = "genai-bench-orchestrator"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:genai-bench-orchestrator"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._end = time.monotonic() + 30

    def get_remaining_time_in_millis(self) -> int:
        return int((self._end - time.monotonic()) * 1000)


def use_benchmark_environment(orchestrator_dir: Path = ORCHESTRATOR_DIR) -> None:
    """The stack's variables (``ENV``), nothing of a real Lambda or AWS profile, and the import paths."""
    os.environ.update(ENV)
    for name in ("LAMBDA_TASK_ROOT", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    setup_paths(orchestrator_dir)


def setup_paths(orchestrator_dir: Path = ORCHESTRATOR_DIR) -> None:
    for path in (str(orchestrator_dir), str(BENCH_DIR)):
        if path not in sys.path:
            sys.path.insert(0, path)


@contextmanager
def stubbed_handler(extra_env: Mapping[str, str] | None = None, orchestrator_dir: Path = ORCHESTRATOR_DIR) -> Iterator[Any]:
    """``handler`` imported over ``stub_aws`` (every AWS call answered in-process at zero latency), with
    stdout (EMF metrics, logs) sent to /dev/null until the block ends. ``orchestrator_dir``: the function's
    folder to import it from (another checkout's, for a before/after comparison)."""
    use_benchmark_environment(orchestrator_dir)
    os.environ.update(extra_env or {})
    import stub_aws

    stub_aws.install()
    real_stdout = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        import handler

        yield handler
    finally:
        sys.stdout.flush()
        os.dup2(real_stdout, 1)
