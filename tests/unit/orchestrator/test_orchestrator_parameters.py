"""Parameters: ranges per model, greedy vs random, and the mapping per backend."""

from __future__ import annotations

import pytest
from orchestrator.errors import ValidationError
from orchestrator.parameters import Parameters, resolve, to_converse, to_text_generation
from orchestrator.settings import Settings

from localaws import fakes

DEFAULTS = {"max_new_tokens": 512, "temperature": 0.2, "top_p": 0.9, "sampling": "random", "stop_sequences": []}
GREEDY_DEFAULTS = {"max_new_tokens": 512, "temperature": 0.0, "top_p": 1.0, "sampling": "greedy", "stop_sequences": []}


@pytest.fixture(scope="module")
def models():
    return Settings.from_environment(fakes.ENV).models


def test_defaults_come_from_the_use_case(models) -> None:
    params = resolve(DEFAULTS, None, models[fakes.HAIKU])
    assert params == Parameters(max_new_tokens=512, sampling="random", temperature=0.2, top_p=0.9)


def test_default_max_tokens_is_clamped_to_the_model(models) -> None:
    params = resolve({**DEFAULTS, "max_new_tokens": 2048}, None, models[fakes.TGI])
    assert params.max_new_tokens == 1024


@pytest.mark.parametrize(
    ("requested", "field", "text"),
    [
        ({"max_new_tokens": 0}, "parameters.max_new_tokens", "from 1 to 4096"),
        ({"max_new_tokens": 5000}, "parameters.max_new_tokens", "from 1 to 4096"),
        ({"max_new_tokens": 10.5}, "parameters.max_new_tokens", "integer"),
        ({"temperature": 1.2}, "parameters.temperature", "from 0 to 1"),
        ({"temperature": -0.1}, "parameters.temperature", "from 0 to 1"),
        ({"temperature": True}, "parameters.temperature", "number"),
        ({"top_p": 1.5}, "parameters.top_p", "from 0 to 1"),
        ({"top_k": 0}, "parameters.top_k", "from 1 to 500"),
        ({"top_k": 501}, "parameters.top_k", "from 1 to 500"),
        ({"stop_sequences": ["a", "b", "c", "d", "e"]}, "parameters.stop_sequences", "at most 4"),
        ({"stop_sequences": ["x" * 101]}, "parameters.stop_sequences[0]", "1 to 100"),
        ({"stop_sequences": [" "]}, "parameters.stop_sequences[0]", "non-blank"),
        ({"sampling": "beam"}, "parameters.sampling", "greedy"),
        ({"seed": 1}, "parameters.seed", "allowed"),
    ],
)
def test_out_of_range_values_name_the_field_and_the_range(models, requested, field, text) -> None:
    with pytest.raises(ValidationError) as info:
        resolve(DEFAULTS, requested, models[fakes.HAIKU])
    assert info.value.field == field and text in info.value.message and info.value.status == 400


def test_top_k_only_where_the_model_accepts_it(models) -> None:
    with pytest.raises(ValidationError, match="not accepted by model meta"):
        resolve(DEFAULTS, {"top_k": 5}, models[fakes.LLAMA])
    with pytest.raises(ValidationError, match="from 1 to 128"):
        resolve(DEFAULTS, {"top_k": 200}, models[fakes.NOVA])
    assert resolve(DEFAULTS, {"top_k": 40}, models[fakes.HAIKU]).top_k == 40


def test_greedy_is_deterministic_decoding(models) -> None:
    haiku = resolve(GREEDY_DEFAULTS, None, models[fakes.HAIKU])
    assert (haiku.temperature, haiku.top_p, haiku.top_k) == (0.0, None, 1)
    llama = resolve(GREEDY_DEFAULTS, None, models[fakes.LLAMA])
    assert (llama.temperature, llama.top_p, llama.top_k) == (0.0, None, None)
    with pytest.raises(ValidationError, match="greedy"):
        resolve(DEFAULTS, {"sampling": "greedy", "temperature": 0.7}, models[fakes.HAIKU])
    with pytest.raises(ValidationError, match="greedy"):
        resolve(DEFAULTS, {"sampling": "greedy", "top_k": 5}, models[fakes.HAIKU])


def test_models_refusing_temperature_with_top_p(models) -> None:
    sonnet = models[fakes.SONNET45]
    params = resolve(DEFAULTS, None, sonnet)
    assert (params.temperature, params.top_p) == (0.2, None)
    only_top_p = resolve(DEFAULTS, {"top_p": 0.8}, sonnet)
    assert (only_top_p.temperature, only_top_p.top_p) == (None, 0.8)
    with pytest.raises(ValidationError, match="set only one"):
        resolve(DEFAULTS, {"top_p": 0.8, "temperature": 0.5}, sonnet)


# --------------------------------------------------------------------------- Bedrock Converse
def test_converse_mapping_anthropic_top_k(models) -> None:
    params = resolve(DEFAULTS, {"top_k": 50, "stop_sequences": ["\n\nHuman:"], "max_new_tokens": 300}, models[fakes.HAIKU])
    config, additional = to_converse(params, models[fakes.HAIKU])
    assert config == {"maxTokens": 300, "temperature": 0.2, "topP": 0.9, "stopSequences": ["\n\nHuman:"]}
    assert additional == {"top_k": 50}


def test_converse_mapping_nova_top_k_goes_in_inference_config(models) -> None:
    params = resolve(DEFAULTS, {"top_k": 20}, models[fakes.NOVA])
    assert to_converse(params, models[fakes.NOVA])[1] == {"inferenceConfig": {"topK": 20}}


def test_converse_mapping_cohere_top_k_is_k(models) -> None:
    params = resolve(DEFAULTS, {"top_k": 20}, models[fakes.COHERE])
    assert to_converse(params, models[fakes.COHERE])[1] == {"k": 20}


def test_converse_mapping_without_top_k(models) -> None:
    params = resolve(GREEDY_DEFAULTS, None, models[fakes.LLAMA])
    config, additional = to_converse(params, models[fakes.LLAMA])
    assert config == {"maxTokens": 512, "temperature": 0.0} and additional is None


def test_converse_greedy_with_top_k_model(models) -> None:
    params = resolve(GREEDY_DEFAULTS, None, models[fakes.HAIKU])
    assert to_converse(params, models[fakes.HAIKU]) == ({"maxTokens": 512, "temperature": 0.0}, {"top_k": 1})


# --------------------------------------------------------------------------- SageMaker TGI / LMI
def test_tgi_random_sampling(models) -> None:
    params = resolve(DEFAULTS, {"top_k": 40, "stop_sequences": ["</s>"]}, models[fakes.TGI])
    assert to_text_generation(params, "tgi") == {
        "max_new_tokens": 512,
        "do_sample": True,
        "details": True,
        "return_full_text": False,
        "temperature": 0.2,
        "top_p": 0.9,
        "top_k": 40,
        "stop": ["</s>"],
    }


def test_tgi_greedy_is_do_sample_false_without_sampling_knobs(models) -> None:
    params = resolve(GREEDY_DEFAULTS, None, models[fakes.TGI])
    assert to_text_generation(params, "tgi") == {
        "max_new_tokens": 512,
        "do_sample": False,
        "details": True,
        "return_full_text": False,
    }


def test_tgi_constraints(models) -> None:
    tgi = models[fakes.TGI]
    with pytest.raises(ValidationError, match="greater than 0"):
        resolve(DEFAULTS, {"temperature": 0}, tgi)
    with pytest.raises(ValidationError, match="greater than 0"):
        resolve(DEFAULTS, {"top_p": 0}, tgi)
    # top_p 1 means "off": TGI accepts only (0, 1), so it is not sent.
    assert "top_p" not in to_text_generation(resolve(DEFAULTS, {"top_p": 1.0}, tgi), "tgi")


def test_lmi_mapping_uses_stop_sequences(models) -> None:
    params = resolve(DEFAULTS, {"stop_sequences": ["###"], "temperature": 0}, models[fakes.LMI])
    body = to_text_generation(params, "lmi")
    assert body["stop_sequences"] == ["###"] and "stop" not in body
    assert body["do_sample"] is True and body["temperature"] == 0.0
