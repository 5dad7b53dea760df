"""Settings: the environment contract, parsed once, failing fast with the variable named."""

from __future__ import annotations

import gc
import json
import os

import pytest
from orchestrator.model_spec import bedrock_provider
from orchestrator.settings import ConfigError, Settings

from localaws import fakes


def env(**overrides: str) -> dict[str, str]:
    data = dict(fakes.ENV)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def models_env(*models: dict) -> str:
    return json.dumps(list(models))


def test_parses_the_full_contract() -> None:
    settings = Settings.from_environment(env())
    assert settings.environment == "dev"
    assert settings.request_deadline_seconds == 27.0
    assert settings.max_input_chars == 12000
    assert settings.guardrail_arn == fakes.GUARDRAIL_ARN and settings.guardrail_version == "3"
    haiku = settings.model(fakes.HAIKU)
    assert haiku.provider == "anthropic" and haiku.top_k_max == 500 and haiku.image
    nova = settings.model(fakes.NOVA)
    assert nova.provider == "amazon-nova" and nova.top_k_max == 128
    assert not settings.model(fakes.LLAMA).accepts_top_k
    assert settings.model(fakes.SONNET45).top_p is False
    tgi = settings.model(fakes.TGI)
    assert (tgi.backend, tgi.endpoint, tgi.container, tgi.accepts_top_k) == ("sagemaker", "genai-dev-inf2", "tgi", True)


@pytest.mark.parametrize(
    ("model_id", "provider"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", "anthropic"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic"),
        ("global.amazon.nova-2-lite-v1:0", "amazon-nova"),
        ("amazon.titan-text-express-v1", "amazon"),
        ("eu.meta.llama3-2-3b-instruct-v1:0", "meta"),
        ("mistral.mistral-7b-instruct-v0:2", "mistral"),
    ],
)
def test_provider_from_model_id(model_id: str, provider: str) -> None:
    assert bedrock_provider(model_id) == provider


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"MODELS": None}, "MODELS"),
        ({"MODELS": "[not json"}, "MODELS"),
        ({"MODELS": "[]"}, "MODELS"),
        ({"ENVIRONMENT_NAME": "Prod!"}, "ENVIRONMENT_NAME"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"DEFAULT_MODELS": json.dumps({"text": fakes.HAIKU})}, "DEFAULT_MODELS"),
        (
            {"DEFAULT_MODELS": json.dumps({"text": "nope", "chat": fakes.HAIKU, "code": fakes.HAIKU, "vision": fakes.HAIKU})},
            "DEFAULT_MODELS.text",
        ),
        (
            {
                "DEFAULT_MODELS": json.dumps(
                    {"text": fakes.HAIKU, "chat": fakes.HAIKU, "code": fakes.HAIKU, "vision": fakes.LLAMA}
                )
            },
            "DEFAULT_MODELS.vision",
        ),
        ({"GUARDRAIL_ARN": None}, "GUARDRAIL_ARN"),
        ({"GUARDRAIL_ARN": fakes.GUARDRAIL_ID}, "GUARDRAIL_ARN"),
        ({"GUARDRAIL_VERSION": "DRAFT"}, "GUARDRAIL_VERSION"),
        ({"CONVERSATION_TABLE": "x"}, "CONVERSATION_TABLE"),
        ({"AGENT_RUNTIME_ARN": "arn:aws:bedrock:eu-west-1:123456789012:agent/ABC"}, "AGENT_RUNTIME_ARN"),
        ({"CONVERSATION_TTL_SECONDS": "10"}, "CONVERSATION_TTL_SECONDS"),
        ({"CHAT_HISTORY_MAX_TOKENS": "lots"}, "CHAT_HISTORY_MAX_TOKENS"),
        ({"REQUEST_DEADLINE_SECONDS": "0"}, "REQUEST_DEADLINE_SECONDS"),
        ({"REQUEST_DEADLINE_SECONDS": "nan"}, "REQUEST_DEADLINE_SECONDS"),
        ({"MAX_INPUT_CHARS": None}, "MAX_INPUT_CHARS"),
        ({"POWERTOOLS_METRICS_NAMESPACE": ""}, "POWERTOOLS_METRICS_NAMESPACE"),
    ],
)
def test_a_bad_variable_fails_fast_naming_it(overrides: dict, variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_environment(env(**overrides))
    assert info.value.variable == variable


@pytest.mark.parametrize(
    ("model", "path"),
    [
        ({"id": "x.y", "backend": "openai", "max_tokens": 10}, "MODELS[0].backend"),
        (
            {"id": "meta.llama3-8b-instruct-v1:0", "backend": "bedrock", "target": "t", "max_tokens": 10, "top_k": True},
            "MODELS[0].top_k",
        ),
        (
            {"id": "a.b", "backend": "bedrock", "target": "t", "max_tokens": 10, "temperature_max": 1.5},
            "MODELS[0].temperature_max",
        ),
        ({"id": "a.b", "backend": "bedrock", "target": "t", "max_tokens": 0}, "MODELS[0].max_tokens"),
        ({"id": "a.b", "backend": "bedrock", "target": "t", "max_tokens": 10, "colour": "red"}, "MODELS[0].colour"),
        ({"id": "a.b", "backend": "bedrock", "max_tokens": 10}, "MODELS[0].target"),
        (
            {"id": "x", "backend": "sagemaker", "endpoint": "bad_name!", "container": "tgi", "max_tokens": 10},
            "MODELS[0].endpoint",
        ),
        ({"id": "x", "backend": "sagemaker", "endpoint": "ep", "container": "vllm", "max_tokens": 10}, "MODELS[0].container"),
        (
            {"id": "x", "backend": "sagemaker", "endpoint": "ep", "container": "tgi", "max_tokens": 10, "image": True},
            "MODELS[0].image",
        ),
        ({"id": "a.b", "backend": "bedrock", "target": "t", "max_tokens": 10, "price_in": -1}, "MODELS[0].price_in"),
    ],
)
def test_bad_model_entries_name_the_key_path(model: dict, path: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_environment(
            env(
                MODELS=models_env(model),
                DEFAULT_MODELS=json.dumps({"text": model["id"], "chat": model["id"], "code": model["id"], "vision": model["id"]}),
            )
        )
    assert info.value.variable == path


def test_duplicate_model_ids_are_refused() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_environment(env(MODELS=models_env(fakes.MODELS[0], fakes.MODELS[0])))
    assert info.value.variable == "MODELS[1].id"


def test_models_env_stays_well_under_the_lambda_4kb_budget() -> None:
    # Keys are short on purpose: all of a function's variables share 4 KB.
    assert len(fakes.ENV["MODELS"]) < 2048


def test_handler_import_fails_fast_on_a_bad_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    monkeypatch.setenv("REQUEST_DEADLINE_SECONDS", "forever")
    saved = sys.modules.pop("handler", None)
    try:
        with pytest.raises(ConfigError, match="REQUEST_DEADLINE_SECONDS"):
            importlib.import_module("handler")
        assert gc.isenabled(), "a failed init must not leave the cyclic GC paused"
    finally:
        gc.enable()
        sys.modules.pop("handler", None)
        if saved is not None:
            sys.modules["handler"] = saved


def test_handler_import_leaves_the_gc_enabled() -> None:
    # handler.py pauses the cyclic GC during the cold start (and freezes the init heap): it must
    # be running again once the module is imported, or a warm container would never collect cycles.
    import subprocess
    import sys
    from pathlib import Path

    orchestrator_dir = Path(__file__).resolve().parents[3] / "lambdas" / "orchestrator"
    code = "import gc, handler; assert gc.isenabled(); assert gc.get_freeze_count() > 0"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=orchestrator_dir,
        env={**fakes.ENV, "PYTHONPATH": str(orchestrator_dir), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_guardrail_is_named_by_its_arn_not_a_bare_id() -> None:
    """Issue 12 item 16: a bare guardrail id would not match the IAM condition on the ARN."""
    from orchestrator.settings import Settings

    environ = {k: v for k, v in fakes.ENV.items() if k != "GUARDRAIL_ARN"}
    with pytest.raises(ConfigError, match="GUARDRAIL_ARN: must be a guardrail ARN"):
        Settings.from_environment({**environ, "GUARDRAIL_ARN": "gr0abc123def"})
    settings = Settings.from_environment({**environ, "GUARDRAIL_ARN": fakes.GUARDRAIL_ARN})
    assert settings.guardrail_arn == fakes.GUARDRAIL_ARN
    assert settings.safety.guardrail_arn == fakes.GUARDRAIL_ARN  # SAFETY_CONFIG and the guardrail: parsed once


def test_to_environment_round_trips_every_variable() -> None:
    """The stack writes the variables with the same contract the handler reads them with."""
    settings = Settings.from_environment(fakes.ENV)
    environ = settings.to_environment()
    assert Settings.from_environment(environ) == settings
    assert set(environ) == {k for k in fakes.ENV if not k.startswith("AWS_") and k != "POWERTOOLS_METRICS_DISABLED"}


AGENT_RUNTIME_ARN = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:runtime/genai_dev_agent-AbCdEf1234"


def test_the_agent_runtime_arn_and_an_absent_conversation_table_round_trip() -> None:
    """The API functions of an agents environment carry the Runtime ARN; the Gateway's tool function (agents
    stack, which must not depend on the API stack) has no conversation table. Both through the one contract."""
    settings = Settings.from_environment(env(AGENT_RUNTIME_ARN=AGENT_RUNTIME_ARN, CONVERSATION_TABLE=None))
    assert settings.agent_runtime_arn == AGENT_RUNTIME_ARN and settings.conversation_table is None
    environ = settings.to_environment()
    assert environ["AGENT_RUNTIME_ARN"] == AGENT_RUNTIME_ARN and "CONVERSATION_TABLE" not in environ
    assert Settings.from_environment(environ) == settings
    assert Settings.from_environment(env()).agent_runtime_arn is None
