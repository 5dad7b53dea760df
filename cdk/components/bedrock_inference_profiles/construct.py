"""One tagged application inference profile per allowed model, so Bedrock cost is attributable."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

import aws_cdk.aws_bedrock_alpha as bedrock
from constructs import Construct

from cdk.components.bedrock_model_access import ModelRoute

# AWS::Bedrock::ApplicationInferenceProfile InferenceProfileName / Description patterns and lengths.
_NAME_RE = re.compile(r"([0-9a-zA-Z][ _-]?)+")
_DESCRIPTION_RE = re.compile(r"([0-9a-zA-Z:.][ _-]?)+")
NAME_MAX = 64
DESCRIPTION_MAX = 200


def profile_name(prefix: str, model_id: str) -> str:
    """``genai-dev`` + ``eu.amazon.nova-lite-v1:0`` -> ``genai-dev-eu-amazon-nova-lite-v1-0`` (at most 64
    characters: longer names keep their start and end with a short hash of the full name)."""
    name = re.sub(r"[^0-9a-zA-Z]+", "-", f"{prefix}-{model_id}").strip("-")
    if len(name) > NAME_MAX:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[:NAME_MAX - 9].rstrip('-')}-{digest}"
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"cannot derive an inference profile name from {prefix!r} and {model_id!r}")
    return name


class ApplicationInferenceProfiles(Construct):
    """An ``AWS::Bedrock::ApplicationInferenceProfile`` (alpha L2) per model route, copying the foundation
    model (in-Region) or the system cross-Region profile (``eu.``/``us.``/``global.``), tagged so that Cost
    Explorer can split Bedrock spend by the tags once they are activated as cost allocation tags.

    Invoke through ``arn_for(model_id)`` (the profile ARN is the ``modelId``); the IAM grant must also cover
    what the profile copies (see ``ModelAccess``).

    Example::

        from aws_cdk import App, Stack

        from cdk.components.bedrock_inference_profiles import ApplicationInferenceProfiles
        from cdk.components.bedrock_model_access import ModelRoute

        app = App()
        stack = Stack(app, "Example")
        profiles = ApplicationInferenceProfiles(stack, "Profiles", name_prefix="app-dev",
                                                routes=[ModelRoute("amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0")],
                                                tags={"environment": "dev"})
        target = profiles.arn_for("amazon.nova-lite-v1:0")
    """

    def __init__(self, scope: Construct, construct_id: str, *, name_prefix: str, routes: Sequence[ModelRoute],
                 tags: Mapping[str, str] | None = None, description_prefix: str = "") -> None:
        super().__init__(scope, construct_id)
        self.profiles: dict[str, bedrock.ApplicationInferenceProfile] = {}
        for route in routes:
            description = f"{description_prefix} {route.model_id}".strip()[:DESCRIPTION_MAX]
            self.profiles[route.model_id] = bedrock.ApplicationInferenceProfile(
                self,
                profile_name("p", route.model_id),  # construct id: stable per model, independent of the prefix
                application_inference_profile_name=profile_name(name_prefix, route.model_id),
                model_source=_model_source(route),
                description=description if _DESCRIPTION_RE.fullmatch(description) else None,
                tags={**(tags or {}), "bedrock-model": route.model_id},
            )

    def arn_for(self, model_id: str) -> str:
        return self.profiles[model_id].inference_profile_arn

    @property
    def arns(self) -> dict[str, str]:
        return {model_id: profile.inference_profile_arn for model_id, profile in self.profiles.items()}


def _model_source(route: ModelRoute) -> bedrock.IBedrockInvokable:
    model = bedrock.BedrockFoundationModel(route.foundation_model_id, supports_cross_region=route.routing != "in_region")
    if route.routing == "in_region":
        return model
    geography = route.model_id.split(".", 1)[0]
    return bedrock.CrossRegionInferenceProfile.from_config(
        geo_region=bedrock.CrossRegionInferenceProfileRegion[geography.upper().replace("-", "_")], model=model
    )
