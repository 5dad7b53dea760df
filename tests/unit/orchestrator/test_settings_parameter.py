"""The settings that grow with the configuration (models, knowledge bases, the safety policy) live in one SSM
parameter instead of Lambda's 4 KB environment: one contract (orchestrator.settings) splits them for the stack
and merges them back at cold start."""

from __future__ import annotations

import json
from typing import Any

import pytest
from orchestrator.settings import PARAMETER_VARIABLES, SETTINGS_PARAMETER_VARIABLE, ConfigError, Settings, with_parameter

from localaws import fakes

PARAMETER = "genai-dev-api-settings"
KNOWLEDGE_BASE = {"name": "guide", "id": "KB12345678", "description": "the guide", "max_results": 5, "min_score": 0.3}


def _environment() -> dict[str, str]:
    return {**fakes.ENV, "KNOWLEDGE_BASES": json.dumps([KNOWLEDGE_BASE])}


def test_the_split_moves_the_growing_json_variables_and_merging_them_back_gives_the_same_settings() -> None:
    settings = Settings.from_environment(_environment())
    environment, stored = settings.split_environment()
    assert set(stored) == set(PARAMETER_VARIABLES) and not set(stored) & set(environment)
    deployed = {**environment, SETTINGS_PARAMETER_VARIABLE: PARAMETER}
    read: list[str] = []
    merged = with_parameter(deployed, lambda name: read.append(name) or json.dumps(stored))
    assert read == [PARAMETER] and Settings.from_environment(merged) == settings


def test_without_a_parameter_the_environment_is_used_as_it_is() -> None:
    environment = _environment()
    assert with_parameter(environment, lambda name: pytest.fail("no parameter to read")) is environment


@pytest.mark.parametrize(("stored", "named"), [
    ("[]", SETTINGS_PARAMETER_VARIABLE),
    ("{not json", SETTINGS_PARAMETER_VARIABLE),
    (json.dumps({"MODELS": []}), SETTINGS_PARAMETER_VARIABLE),
    (json.dumps({"CONVERSATION_TABLE": "t"}), f"{SETTINGS_PARAMETER_VARIABLE}.CONVERSATION_TABLE"),
    (json.dumps({"MODELS": "[]"}), f"{SETTINGS_PARAMETER_VARIABLE}.MODELS"),  # MODELS is in the environment too
])
def test_a_bad_parameter_value_names_the_variable(stored: str, named: str) -> None:
    with pytest.raises(ConfigError) as error:
        with_parameter({**fakes.ENV, SETTINGS_PARAMETER_VARIABLE: PARAMETER}, lambda _: stored)
    assert error.value.variable == named


class _Ssm:
    def __init__(self, answer: Any) -> None:
        self.answer, self.names = answer, []

    def get_parameter(self, Name: str) -> Any:
        self.names.append(Name)
        if isinstance(self.answer, Exception):
            raise self.answer
        return {"Parameter": {"Name": Name, "Type": "String", "Value": self.answer}}


class _Clients:
    def __init__(self, ssm: _Ssm) -> None:
        self.ssm = ssm

    def client(self, service: str) -> Any:
        assert service == "ssm", f"only the settings parameter is read at init, not {service}"
        return self.ssm


def test_the_handler_reads_the_parameter_once_at_cold_start() -> None:
    import handler

    settings = Settings.from_environment(_environment())
    environment, stored = settings.split_environment()
    ssm = _Ssm(json.dumps(stored))
    aws = {k: v for k, v in fakes.ENV.items() if k.startswith("AWS_")}
    runtime = handler.build_runtime({**aws, **environment, SETTINGS_PARAMETER_VARIABLE: PARAMETER},
                                    clients=_Clients(ssm), safety_filter=fakes.FakeSafetyFilter())
    try:
        assert ssm.names == [PARAMETER]
        assert runtime.service.settings.models == settings.models
        assert runtime.service.settings.knowledge_bases == settings.knowledge_bases
    finally:
        runtime.service.backends.close()


def test_a_parameter_that_cannot_be_read_fails_the_init_naming_the_variable_and_code_only() -> None:
    import handler
    from botocore.exceptions import ClientError

    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "secret detail"}}, "GetParameter")
    environment = {k: v for k, v in fakes.ENV.items() if k not in PARAMETER_VARIABLES}
    with pytest.raises(ConfigError) as error:
        handler.build_runtime({**environment, SETTINGS_PARAMETER_VARIABLE: PARAMETER}, clients=_Clients(_Ssm(denied)),
                              safety_filter=fakes.FakeSafetyFilter())
    assert error.value.variable == SETTINGS_PARAMETER_VARIABLE
    assert "AccessDeniedException" in str(error.value) and "secret" not in str(error.value)

