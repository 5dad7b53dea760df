"""botocore client configuration of the Lambda's AWS clients (orchestrator/clients.py)."""

from __future__ import annotations

import botocore.session
import pytest
from botocore.exceptions import ParamValidationError


@pytest.mark.parametrize("service", ["comprehend", "bedrock-runtime", "sagemaker-runtime"])
def test_hot_path_clients_skip_botocore_parameter_validation(service: str) -> None:
    # Their parameters come from schema-validated bodies or the code itself; AWS validates them again.
    from orchestrator.clients import client_config

    assert client_config(service, model_read_timeout=27.0).parameter_validation is False
    assert client_config(service, model_read_timeout=27.0, validate_parameters=True).parameter_validation is True


@pytest.mark.parametrize("service", ["dynamodb", "bedrock-agent-runtime", "bedrock-agentcore"])
def test_clients_with_caller_keys_or_filters_keep_it(service: str) -> None:
    from orchestrator.clients import client_config

    assert client_config(service, model_read_timeout=27.0).parameter_validation is True


def test_an_unvalidated_request_is_sent_and_a_validated_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.clients import AwsClients

    for key, value in {"AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(key, value)
    sent: list[str] = []

    def answer(request, **_):  # before-send: nothing leaves the process
        sent.append(request.url)
        raise RuntimeError("not sent")

    session = botocore.session.get_session()
    lambda_like = AwsClients(model_read_timeout=5, session=session).client("comprehend")
    lambda_like.meta.events.register_first("before-send", answer)
    with pytest.raises(RuntimeError, match="not sent"):
        lambda_like.detect_pii_entities(Text="", LanguageCode="en")  # Text shorter than the model's min: AWS decides
    assert len(sent) == 1
    validating = AwsClients(model_read_timeout=5, session=session, validate_parameters=True).client("comprehend")
    with pytest.raises(ParamValidationError):
        validating.detect_pii_entities(Text="", LanguageCode="en")
