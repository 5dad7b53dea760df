"""One classification of AWS failures for every caller in this function: the model backends, the
safety filter and the chat store map the same botocore exception to the same kind.

Each caller then decides what a kind means for it (the API answers 429 with ``Retry-After`` for
``THROTTLED``, 503 for ``UNREACHABLE`` / ``UNAVAILABLE``, 504 for a model's ``TIMEOUT``; the safety
filter fails closed with 429/503). Only error *codes* are kept: AWS messages may quote the request.

Imports botocore lazily (only when there is a failure to classify).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Failure(Enum):
    THROTTLED = "throttled"  # the caller's quota or rate: retry later (429)
    TIMEOUT = "timeout"  # no answer in time: read timeout, or a service's own timeout code
    UNREACHABLE = "unreachable"  # no connection: connect timeout, DNS, connection closed
    UNAVAILABLE = "unavailable"  # the service refused for a reason the caller cannot fix (auth, missing resource, 5xx)
    ERROR = "error"  # anything else (a 4xx of the request, a 500, a malformed response, a bug)


#: Throttling codes across Bedrock, SageMaker runtime, Comprehend and DynamoDB (botocore's standard
#: retry mode also treats these as throttling; ``ModelNotReadyException`` is Bedrock's "retry later").
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ServiceQuotaExceededException",
        "ProvisionedThroughputExceededException",
        "ModelNotReadyException",
    }
)
TIMEOUT_CODES = frozenset({"ModelTimeoutException", "RequestTimeout", "RequestTimeoutException"})
UNAVAILABLE_CODES = frozenset(
    {
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "AccessDeniedException",
        "ResourceNotFoundException",
        "UnrecognizedClientException",
        "ExpiredTokenException",
        "InternalDependencyException",
    }
)


@dataclass(frozen=True, slots=True)
class Classified:
    kind: Failure
    code: str | None = None  # the AWS error code, when AWS answered
    status: int | None = None  # the HTTP status, when AWS answered
    timed_out: bool = False  # a client-side timeout (read or connect)


def classify(exc: BaseException) -> Classified:
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code") or "") or None
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or None
        # Event-stream exceptions (ConverseStream's in-stream ``throttlingException``) use lower camel case.
        known = code[:1].upper() + code[1:] if code else None
        if known in THROTTLING_CODES or status == 429:
            kind = Failure.THROTTLED
        elif known in TIMEOUT_CODES or status == 408:
            kind = Failure.TIMEOUT
        elif known in UNAVAILABLE_CODES or status in (401, 403, 404, 503):
            kind = Failure.UNAVAILABLE
        else:
            kind = Failure.ERROR
        return Classified(kind, code=code, status=status)
    if isinstance(exc, (ReadTimeoutError, TimeoutError)):
        return Classified(Failure.TIMEOUT, timed_out=True)
    if isinstance(exc, ConnectTimeoutError):
        return Classified(Failure.UNREACHABLE, timed_out=True)
    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError)):
        return Classified(Failure.UNREACHABLE)
    return Classified(Failure.ERROR)


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of ``exc`` (never its message), or None."""
    return classify(exc).code
