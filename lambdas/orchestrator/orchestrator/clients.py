"""AWS clients: :class:`AwsClients` (built once in ``handler.py``) holds one client per service,
created lazily on first use from one botocore session (so endpoint rules and service models
load once).

* botocore is used directly: ``import boto3`` also imports s3transfer (~tens of ms of cold
  start) and this function needs nothing from boto3 but ``create_client``.
* ``endpoint_url`` is never passed: botocore honours ``AWS_ENDPOINT_URL`` and
  ``AWS_ENDPOINT_URL_<SERVICE>`` on its own.
* AWS error messages are dropped as the response is parsed (``_drop_error_text``): they can
  quote the request, and X-Ray's botocore patch records ``str(exception)``. Codes stay.
* Retries use botocore's ``standard`` mode with bounded attempts, so throttling is retried with
  backoff before the API answers 429. Inside a request the deadline bounds every attempt
  (``deadline.bound_to``): no attempt starts after it and each attempt's read timeout is the time
  left, so nothing is sent after the handler has answered.
"""

from __future__ import annotations

import gc
import threading
from typing import Any

from .deadline import no_retry_after_deadline, refuse_late_attempt

#: Model calls: the read timeout is the request deadline (``AwsClients.model_read_timeout``); connects fail
#: fast. 3 attempts = 1 call + 2 retries with standard-mode exponential backoff and jitter.
MODEL_ATTEMPTS = 3
CONNECT_TIMEOUT_SECONDS = 2.0
#: Comprehend: short calls, short timeouts (the safety filter's own budget bounds the total).
AUX_READ_TIMEOUT_SECONDS = 5.0
AUX_ATTEMPTS = 3
#: DynamoDB (chat history): single-digit-millisecond calls that come after the model call, inside
#: the time the handler keeps back (deadline.RESPONSE_MARGIN_SECONDS) plus the stack's margin
#: before API Gateway gives up: worst case 2 x (0.5 + 0.5) s + at most 1 s of backoff.
STORE_CONNECT_TIMEOUT_SECONDS = 0.5
STORE_READ_TIMEOUT_SECONDS = 0.5
STORE_ATTEMPTS = 2
MAX_POOL_CONNECTIONS = 10  # compare runs up to 4 models at once
#: InvokeAgentRuntime (POST /v1/agent): read timeout = the request deadline, like a model call, and one attempt:
#: a run calls tools and writes memory, so a retry could repeat them (the API answers 429/503 instead).
AGENT_ATTEMPTS = 1
#: botocore's client-side parameter validation is skipped for these services: every parameter this function
#: sends them is built from a body the API's own JSON schema has validated first (validation.py) or by this
#: code itself (texts split to Comprehend's byte limits, language codes from the safety router, model ids from
#: the allow-list, inference parameters resolved within the catalog's bounds). It costs ~25 us of CPU per call,
#: a few percent of a warm generate (benchmarks/warm_overhead.py). AWS validates every request itself: a request
#: it rejects fails as any AWS error does (502 for a model, 503 fail-closed for a safety check), as botocore's
#: ParamValidationError did. The other services (caller ids as keys, retrieval filters, agent sessions) keep it.
UNVALIDATED_SERVICES = frozenset({"comprehend", "bedrock-runtime", "sagemaker-runtime"})


def client_config(service: str, model_read_timeout: float, *, validate_parameters: bool = False) -> Any:
    """The client's Config; ``validate_parameters`` keeps botocore's validation on for every service (tests)."""
    from botocore.config import Config

    if service in ("bedrock-runtime", "sagemaker-runtime"):
        connect, read, attempts = CONNECT_TIMEOUT_SECONDS, model_read_timeout, MODEL_ATTEMPTS
    elif service == "bedrock-agentcore":
        connect, read, attempts = CONNECT_TIMEOUT_SECONDS, model_read_timeout, AGENT_ATTEMPTS
    elif service == "dynamodb":
        connect, read, attempts = STORE_CONNECT_TIMEOUT_SECONDS, STORE_READ_TIMEOUT_SECONDS, STORE_ATTEMPTS
    else:
        connect, read, attempts = CONNECT_TIMEOUT_SECONDS, AUX_READ_TIMEOUT_SECONDS, AUX_ATTEMPTS
    return Config(
        connect_timeout=connect,
        read_timeout=read,
        # total_max_attempts counts the first call too (botocore's "max_attempts" counts retries only).
        retries={"mode": "standard", "total_max_attempts": attempts},
        max_pool_connections=MAX_POOL_CONNECTIONS,
        user_agent_extra="genai-stack-orchestrator",
        parameter_validation=validate_parameters or service not in UNVALIDATED_SERVICES,
    )


#: Parsed-error keys that may carry request or model text (SageMaker ``ModelError`` puts the
#: model container's response in ``OriginalMessage``).
_ERROR_TEXT_KEYS = ("message", "Message", "OriginalMessage")
DROPPED_MESSAGE = "(AWS error message dropped: it may quote the request)"


def _drop_error_text(parsed: Any = None, http_response: Any = None, **_: Any) -> None:
    """``after-call`` hook: runs before botocore raises a ClientError built from ``parsed``."""
    if not isinstance(parsed, dict) or getattr(http_response, "status_code", 200) < 300:
        return
    error = parsed.get("Error")
    if isinstance(error, dict) and error.get("Message"):
        error["Message"] = DROPPED_MESSAGE
    for key in _ERROR_TEXT_KEYS:
        if key in parsed:
            parsed[key] = DROPPED_MESSAGE


class AwsClients:
    """One client per service (bedrock-runtime, sagemaker-runtime, comprehend, dynamodb), created
    on first use; thread-safe. ``model_read_timeout`` is the model clients' read timeout (seconds);
    ``validate_parameters`` keeps botocore's parameter validation on for every service (the tests use it as
    an oracle that every request the code builds matches the service model)."""

    def __init__(self, model_read_timeout: float, *, session: Any = None, validate_parameters: bool = False) -> None:
        self.model_read_timeout = float(model_read_timeout)
        self.validate_parameters = validate_parameters
        self._session = session
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        existing = self._clients.get(service)
        if existing is not None:
            return existing
        with self._lock:
            existing = self._clients.get(service)
            if existing is None:
                existing = self._create(service)
                self._clients[service] = existing
        return existing

    def _create(self, service: str) -> Any:
        # A client (its service model, endpoint rules, handlers) is a large tree of objects that
        # lives as long as the process: the cyclic GC is paused while it is built and the tree is
        # then frozen (moved to the permanent generation), so no collection scans it now or on
        # later requests. Once per service per process.
        collecting = gc.isenabled()
        gc.disable()
        try:
            if self._session is None:
                import botocore.session

                self._session = botocore.session.get_session()
            config = client_config(service, self.model_read_timeout, validate_parameters=self.validate_parameters)
            created = self._session.create_client(service, config=config)
            created.meta.events.register("after-call", _drop_error_text)
            # No attempt (first or retry) starts after the bound request deadline (deadline.py).
            created.meta.events.register_first("before-send", refuse_late_attempt)
            created.meta.events.register_first("needs-retry", no_retry_after_deadline)
            return created
        finally:
            if collecting:
                gc.freeze()
                gc.enable()
