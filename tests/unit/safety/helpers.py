"""Request-validating stubs and canned responses for the safety tests.

Every call goes through the client's own parameter validation against the service model and a
``Stubber`` whose responses are validated against the model too. ``RoutingStubber`` differs from
``Stubber`` only in matching a queued response by operation (and expected parameters) instead of
strict global order, because the filter calls Comprehend from several threads at once.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from botocore.stub import ANY, Stubber, StubResponseError
from safety import TOXICITY_LABELS, SafetySettings
from safety.normalize import DetectionView

GUARDRAIL_ARN = "arn:aws:bedrock:eu-west-1:123456789012:guardrail/gr0abc123def"
GUARDRAIL_VERSION = "3"


class RoutingStubber(Stubber):
    """A ``Stubber`` for concurrent callers: each call takes the first queued response for its
    operation whose ``expected_params`` match (reserved atomically before the request is built),
    and every call's parameters are recorded in ``calls``."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self._lock = threading.Lock()
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @staticmethod
    def _matches(expected: dict[str, Any] | None, params: dict[str, Any]) -> bool:
        if expected is None:
            return True
        if sorted(expected) != sorted(params):
            return False
        return all(value is ANY or params.get(key) == value for key, value in expected.items())

    def _assert_expected_params(self, model, params, context, **kwargs):
        if self._should_not_stub(context):
            return
        with self._lock:
            for index, item in enumerate(self._queue):
                if item["operation_name"] == model.name and self._matches(item["expected_params"], params):
                    del self._queue[index]
                    break
            else:
                raise StubResponseError(operation_name=model.name, reason="no queued response matches this call")
            self.calls.append((model.name, copy.deepcopy(params)))
        context["routing_stub_response"] = item["response"]

    def _get_response_handler(self, model, params, context, **kwargs):
        return context.pop("routing_stub_response")

    def operations(self) -> list[str]:
        return [name for name, _params in self.calls]

    def params_of(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


def settings_for(**overrides: Any) -> SafetySettings:
    data: dict[str, Any] = {"guardrail_arn": GUARDRAIL_ARN, "guardrail_version": GUARDRAIL_VERSION}
    data.update(overrides)
    return SafetySettings.from_dict(data)


# --------------------------------------------------------------------------- canned responses
def pii_entities(text: str, *spans: tuple[str, str] | tuple[str, str, float], start: int = 0) -> dict[str, Any]:
    """A DetectPiiEntities response locating each ``(type, value[, score])`` in ``text``."""
    entities = []
    cursor = start
    for span in spans:
        entity_type, value = span[0], span[1]
        score = span[2] if len(span) > 2 else 0.99
        begin = text.index(value, cursor)
        entities.append({"Type": entity_type, "BeginOffset": begin, "EndOffset": begin + len(value), "Score": score})
        cursor = begin + 1
    return {"Entities": entities}


def toxicity_result(toxicity: float = 0.01, **labels: float) -> dict[str, Any]:
    return {
        "Toxicity": toxicity,
        "Labels": [{"Name": name, "Score": labels.get(name, 0.001)} for name in TOXICITY_LABELS],
    }


def toxicity_response(count: int, **scores: Any) -> dict[str, Any]:
    return {"ResultList": [toxicity_result(**scores) for _ in range(count)]}


def language_response(code: str, score: float = 0.99) -> dict[str, Any]:
    return {"Languages": [{"LanguageCode": code, "Score": score}]}


GUARDRAIL_USAGE = {
    "topicPolicyUnits": 1,
    "contentPolicyUnits": 1,
    "wordPolicyUnits": 1,
    "sensitiveInformationPolicyUnits": 0,
    "sensitiveInformationPolicyFreeUnits": 0,
    "contextualGroundingPolicyUnits": 0,
}


def guardrail_response(intervened: bool = False, *, text_out: str = "", filters: list[dict] | None = None) -> dict:
    assessments: list[dict[str, Any]] = []
    if filters is not None:
        assessments.append({"contentPolicy": {"filters": filters}})
    return {
        "usage": GUARDRAIL_USAGE,
        "action": "GUARDRAIL_INTERVENED" if intervened else "NONE",
        "outputs": [{"text": text_out}] if intervened else [],
        "assessments": assessments,
    }


def add_clean_input(
    comprehend_stub: RoutingStubber, text: str, *, pii: dict[str, Any] | None = None, language: str = "en"
) -> None:
    """Queue a PII response (default: none found) and clean toxicity for a one-chunk text
    (Comprehend is sent the text's detection form: NFKC, without format characters)."""
    detected = DetectionView.of(text).text
    comprehend_stub.add_response("detect_pii_entities", pii or {"Entities": []}, {"Text": detected, "LanguageCode": language})
    if language == "en":
        comprehend_stub.add_response("detect_toxic_content", toxicity_response(1), None)


def _before_call(client: Any, operation: str, action: Any) -> None:
    """Run ``action()`` before the stubbed response of every ``operation`` call on ``client``.

    Registered on the same wildcard event as the Stubber (a more specific event name would run
    after it), as a first handler, and filtered by operation name here."""

    def handler(model: Any, **_kwargs: Any) -> None:
        if model.name == operation:
            action()

    client.meta.events.register_first("before-call.*.*", handler)


def sleeper(client: Any, operation: str, seconds: float) -> None:
    """Delay every call of ``operation`` on ``client`` (before the stubbed response)."""
    _before_call(client, operation, lambda: time.sleep(seconds))


def recording_sleeper(client: Any, operation: str, seconds: float, spans: dict[str, tuple[float, float]]) -> None:
    """Like :func:`sleeper`, and record each call's (start, end) monotonic times in ``spans[operation]``."""

    def sleep() -> None:
        start = time.monotonic()
        time.sleep(seconds)
        spans[operation] = (start, time.monotonic())

    _before_call(client, operation, sleep)


def raiser(client: Any, operation: str, exc: BaseException) -> None:
    """Make every call of ``operation`` on ``client`` raise ``exc`` (a transport error), after
    its parameters were validated and a stubbed response reserved."""

    def fail() -> None:
        raise exc

    _before_call(client, operation, fail)
