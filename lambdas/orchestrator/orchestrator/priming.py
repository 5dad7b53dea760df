"""SnapStart priming: the first call of each AWS operation a generate request makes, done before the snapshot.

A botocore client does much of its work lazily, on an operation's first call: the operation model and its
shapes, the endpoint ruleset resolution, the serializer's and validator's paths. Under Lambda SnapStart,
``handler.py`` registers :func:`prime` as a before-snapshot hook, so that work lands in the snapshot instead of
in the first request of every restored environment.

No call leaves the process: a ``before-call`` handler, registered on the client for the duration, answers
each one, so botocore never signs or sends it (no credentials are read, no network, nothing billed) and the
handler's own code (metrics, logs, the chat store) is not involved. A priming failure is logged and ignored:
it may only cost the first request some milliseconds, never the init.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

logger = logging.getLogger(__name__)

_TEXT = "priming"
#: service -> (operation, parameters) of a generate request: language, PII and toxicity screening, the
#: Converse call and the guardrail for backends whose call does not apply it.
PRIMED_CALLS: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "comprehend": (
        ("detect_dominant_language", {"Text": _TEXT}),
        ("detect_pii_entities", {"Text": _TEXT, "LanguageCode": "en"}),
        ("detect_toxic_content", {"TextSegments": [{"Text": _TEXT}], "LanguageCode": "en"}),
    ),
    "bedrock-runtime": (
        ("converse", {"modelId": _TEXT, "messages": [{"role": "user", "content": [{"text": _TEXT}]}]}),
        ("apply_guardrail", {"guardrailIdentifier": _TEXT, "guardrailVersion": "1", "source": "INPUT",
                             "content": [{"text": {"text": _TEXT}}]}),
    ),
}
_HANDLER_ID = "genai-stack-priming"


class _NoHttp:
    status_code = 200
    headers: ClassVar[dict[str, str]] = {}


def _answer_locally(**_: Any) -> tuple[_NoHttp, dict[str, Any]]:
    """``before-call``: a response makes botocore skip signing and sending the request."""
    return _NoHttp(), {}


def prime(clients: Any) -> int:
    """Run every operation of :data:`PRIMED_CALLS` once on ``clients`` (an ``AwsClients``), answered in-process.
    Returns how many calls were primed."""
    primed = 0
    for service, calls in PRIMED_CALLS.items():
        try:
            client = clients.client(service)
        except Exception as exc:  # noqa: BLE001 - priming is an optimization; never fail the init for it
            logger.warning("priming skipped", extra={"service": service, "error_type": type(exc).__name__})
            continue
        events = client.meta.events
        events.register_first("before-call", _answer_locally, unique_id=_HANDLER_ID)
        try:
            for operation, params in calls:
                try:
                    getattr(client, operation)(**params)
                    primed += 1
                except Exception as exc:  # noqa: BLE001 - see above
                    logger.warning("priming call failed",
                                   extra={"service": service, "operation": operation, "error_type": type(exc).__name__})
        finally:
            events.unregister("before-call", unique_id=_HANDLER_ID)
    return primed
