"""Readers shared by the ``sagemaker.endpoint`` and ``sagemaker.training`` sections.

Defaults come from the constructs' typed arguments (``cdk/components/*/props.py``); the bounds here are the config's
own (what a JSON value may be), each written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cdk.components.inferentia_endpoint.props import AUTO_CAST_TYPES, CONTAINERS, NeuronServing
from cdk.config.fields import ConfigError, Section
from cdk.planning import base_models
from cdk.planning.instances import CATALOG
from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()  # lambdas/<function>/ on sys.path for the runtime contract below

# isort: split
from orchestrator.chat_templates import DEFAULT_TEMPLATE, TEMPLATES  # noqa: E402

# Neuron deep-learning containers (AWS DLC registry; the registry account per region is in
# cdk/components/neuron_dlc/registry.py). Defaults are the newest tags the SageMaker Python SDK's image_uri_config
# lists for Inferentia2 (huggingface-llm-neuronx 0.0.27, djl-neuronx 0.30.0) and a current Neuron SDK 2.26 training
# image; pin newer tags per environment with image_repository / image_tag.
CONTAINER_DEFAULTS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "tgi": ("huggingface-pytorch-tgi-inference", "2.1.2-optimum0.0.27-neuronx-py310-ubuntu22.04"),
    "lmi": ("djl-inference", "0.30.0-neuronx-sdk2.20.1"),
})
CONTAINER_KINDS = CONTAINERS  # the runtime contract's table (see inferentia_endpoint/props.py)
if set(CONTAINER_DEFAULTS) != set(CONTAINERS):
    raise RuntimeError(f"CONTAINER_DEFAULTS must name an image for each serving container: {', '.join(CONTAINERS)}")
REPOSITORY_PATTERN = r"[a-z0-9][a-z0-9._/-]{1,255}"
TAG_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}"
MAX_CONTEXT_TOKENS = 131_072


def instance_type(section: Section, key: str, default: str, *, allowed: frozenset[str], role: str,
                  other: frozenset[str], other_role: str) -> str:
    value = section.string(key, default)
    path = section.child_path(key)
    if value in other:
        raise ConfigError(path, f"{value!r} is an {other_role} instance type; {role} runs on: "
                                f"{', '.join(sorted(allowed))}")
    if value not in allowed:
        raise ConfigError(path, f"{value!r} is not allowed; allowed values: {', '.join(sorted(allowed))}")
    return value


def optional_positive(section: Section, key: str) -> float | None:
    return section.number(key, None, minimum=0, exclusive_minimum=True)


def base_model(section: Section, hub_id: str | None, *, pattern: str) -> str | None:
    """The Hub model the served weights are (a Hub endpoint's own id, or ``base_model`` for weights staged in S3),
    which tells its context length and chat template."""
    if hub_id is not None:
        if section.raw("base_model", None) is not None:
            raise ConfigError(section.child_path("base_model"), "is the hf_model_id itself; remove it")
        return hub_id
    return section.string("base_model", None, pattern=pattern,
                          pattern_hint="the Hugging Face model id the staged weights were compiled from")


def chat_template(section: Section, model: str | None, *, enabled: bool) -> str:
    """How the orchestrator renders turns for the served model: ``chat_template``, else the base model's own."""
    known = base_models.chat_template(model)
    template = section.string("chat_template", known, choices=TEMPLATES)
    if template is not None:
        return template
    if enabled:
        raise ConfigError(section.child_path("chat_template"),
                          f"the chat template of {model or 'the served model (set base_model)'} is not known; set one "
                          f"of {', '.join(TEMPLATES)} (its tokenizer_config.json names the format)")
    return DEFAULT_TEMPLATE


def context_override(section: Section) -> int | None:
    return section.integer("base_model_context_tokens", None, minimum=2, maximum=MAX_CONTEXT_TOKENS)


def serving(section: Section, *, container: str, instance: str, context_tokens: int | None,
            context_source: str, defaults: NeuronServing | None = None) -> NeuronServing:
    """The Neuron shapes (``num_cores``, ``batch_size``, ``max_input_tokens``, ``max_total_tokens``,
    ``auto_cast_type``) of ``section``, checked against the NeuronCores of ``instance`` and the base model's context.
    """
    d = defaults or NeuronServing()
    cores = CATALOG[instance].neuron_cores
    num_cores = section.integer("num_cores", d.num_cores, minimum=1)
    if num_cores > cores:
        raise ConfigError(section.child_path("num_cores"),
                          f"{num_cores} NeuronCores do not fit {instance}, which has {cores}; "
                          f"allowed: 1 to {cores} (or a larger instance size)")
    batch_size = section.integer("batch_size", d.batch_size, minimum=1, maximum=256)
    max_total = section.integer("max_total_tokens", d.max_total_tokens, minimum=2, maximum=MAX_CONTEXT_TOKENS)
    max_input = section.integer("max_input_tokens", d.max_input_tokens, minimum=1, maximum=MAX_CONTEXT_TOKENS)
    if max_input >= max_total:
        raise ConfigError(section.child_path("max_input_tokens"),
                          f"{max_input} must be less than max_total_tokens ({max_total}): the total includes the "
                          "input and at least one generated token")
    if context_tokens is not None and max_total > context_tokens:
        raise ConfigError(section.child_path("max_total_tokens"),
                          f"{max_total} exceeds the {context_tokens}-token context of {context_source}; a model "
                          f"compiled for more positions than it was trained on cannot serve them: allowed 2 to "
                          f"{context_tokens}")
    return NeuronServing(container=container, num_cores=num_cores, batch_size=batch_size,
                         max_input_tokens=max_input, max_total_tokens=max_total,
                         auto_cast_type=section.string("auto_cast_type", d.auto_cast_type, choices=AUTO_CAST_TYPES))


def image(section: Section, default: tuple[str, str], hint: str) -> tuple[str, str]:
    repository = section.string("image_repository", default[0], pattern=REPOSITORY_PATTERN,
                                pattern_hint=f"an ECR repository name such as {hint}")
    tag = section.string("image_tag", default[1], pattern=TAG_PATTERN, pattern_hint="a Docker image tag")
    return repository, tag
