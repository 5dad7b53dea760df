"""One Bedrock managed prompt (and a version pinned to its content) per use case of the prompt catalog."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk.aws_bedrock_alpha as bedrock
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk.components.bedrock_prompts.props import PromptCatalog, PromptUseCase

VARIANT_NAME = "default"


@dataclass(frozen=True)
class PromptModel:
    """The model a family's prompts are written for: what to invoke and what it accepts."""

    model_id: str  # recorded in the version fingerprint (the invokable may be a token)
    invokable: bedrock.IBedrockInvokable
    top_p_with_temperature: bool = True
    max_output_tokens: int | None = None


def prompt_name(prefix: str, use_case_id: str) -> str:
    """A physical name unique per account and Region: ``<project>-<env>-<use case>``."""
    name = re.sub(r"[^0-9a-zA-Z_-]+", "-", f"{prefix}-{use_case_id}")
    name = re.sub(r"([_-])[_-]+", r"\1", name).strip("_-")[:100].rstrip("_-")
    if not re.fullmatch(r"([0-9a-zA-Z][_-]?){1,100}", name):
        raise ValueError(f"cannot derive a prompt name from {prefix!r} and {use_case_id!r}")
    return name


class ManagedPrompts(Construct):
    """An ``AWS::Bedrock::Prompt`` (alpha ``Prompt`` L2) per catalog use case, with a chat variant made of
    the use case's system prompt and template (its ``{{variables}}`` as input variables) and its default
    inference configuration, aimed at the model of the use case's family; plus an
    ``AWS::Bedrock::PromptVersion`` whose description carries a fingerprint of that content, so a changed
    template, parameter or model produces a new immutable version (the description is create-only).

    The alpha ``Prompt.createVersion()`` is not used: it names the version after a hash of the L1
    properties taken before the lazy variant list is rendered, so a template change would not cut one.

    Adding a use case is one entry in the catalog file.

    Example::

        from aws_cdk import App, Stack
        from aws_cdk import aws_bedrock_alpha as bedrock

        from cdk.components.bedrock_prompts import (
            DefaultParameters,
            ManagedPrompts,
            PromptCatalog,
            PromptModel,
            PromptUseCase,
        )

        app = App()
        stack = Stack(app, "Example")
        summarize = PromptUseCase(
            id="summarize", description="Summarize a document", family="text", accepts_image=False,
            system="You summarize documents faithfully.", instruction="Summarize the document.",
            template="Summarize this document: {{document}}",
            default_parameters=DefaultParameters(max_new_tokens=512, temperature=0.2, top_p=0.9, sampling="random",
                                                 stop_sequences=()),
        )
        prompts = ManagedPrompts(stack, "Prompts", name_prefix="app-dev",
                                 catalog=PromptCatalog(schema_version=1, use_cases=(summarize,)),
                                 models={"text": PromptModel("amazon.nova-lite-v1:0",
                                                             bedrock.BedrockFoundationModel("amazon.nova-lite-v1:0"))})
        summarize_version = prompts.version_arns["summarize"]
    """

    def __init__(self, scope: Construct, construct_id: str, *, name_prefix: str, catalog: PromptCatalog,
                 models: Mapping[str, PromptModel], kms_key: kms.IKey | None = None,
                 tags: Mapping[str, str] | None = None) -> None:
        super().__init__(scope, construct_id)
        self.prompts: dict[str, bedrock.Prompt] = {}
        self.versions: dict[str, bedrock.PromptVersion] = {}
        self.fingerprints: dict[str, str] = {}
        for use_case in catalog.use_cases:
            model = models.get(use_case.family)
            if model is None:
                raise ValueError(f"no model for family {use_case.family!r} (use case {use_case.id!r})")
            limit = model.max_output_tokens
            if limit is not None and use_case.default_parameters.max_new_tokens > limit:
                raise ValueError(f"use case {use_case.id!r}: max_new_tokens "
                                 f"{use_case.default_parameters.max_new_tokens} exceeds {model.model_id}'s {limit}")
            variant = bedrock.PromptVariant.chat(
                variant_name=VARIANT_NAME,
                model=model.invokable,
                system=use_case.system,
                messages=[bedrock.ChatMessage.user(use_case.template)],
                prompt_variables=list(use_case.variables),
                inference_configuration=bedrock.PromptInferenceConfiguration.text(**inference_configuration(
                    use_case, top_p_with_temperature=model.top_p_with_temperature)),
            )
            prompt = bedrock.Prompt(
                self,
                use_case.id,
                prompt_name=prompt_name(name_prefix, use_case.id),
                description=use_case.description,
                kms_key=kms_key,
                default_variant=variant,
                variants=[variant],
                tags=dict(tags or {}),
            )
            fingerprint = _fingerprint(use_case, model)
            self.prompts[use_case.id] = prompt
            self.fingerprints[use_case.id] = fingerprint
            self.versions[use_case.id] = bedrock.PromptVersion(
                self, f"{use_case.id}Version", prompt=prompt,
                description=f"{use_case.id} sha256:{fingerprint[:32]}",
            )

    @property
    def version_arns(self) -> dict[str, str]:
        return {use_case_id: version.version_arn for use_case_id, version in self.versions.items()}


def inference_configuration(use_case: PromptUseCase, *, top_p_with_temperature: bool = True) -> dict:
    """The prompt's text inference configuration: greedy sampling is temperature 0; ``top_p`` is left out
    for models that refuse it next to a temperature (Anthropic Claude 4.5 and later)."""
    params = use_case.default_parameters
    config: dict = {"max_tokens": params.max_new_tokens, "temperature": params.effective_temperature}
    if top_p_with_temperature:
        config["top_p"] = params.top_p
    if params.stop_sequences:
        config["stop_sequences"] = list(params.stop_sequences)
    return config


def _fingerprint(use_case: PromptUseCase, model: PromptModel) -> str:
    content = {
        "system": use_case.system,
        "template": use_case.template,
        "variables": use_case.variables,
        "description": use_case.description,
        "inference": inference_configuration(use_case, top_p_with_temperature=model.top_p_with_temperature),
        "model": model.model_id,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
