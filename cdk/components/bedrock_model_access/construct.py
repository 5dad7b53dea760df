"""Least-privilege, guardrail-enforced permission to invoke an allow-list of Bedrock models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

ROUTINGS = ("in_region", "geo", "global")
#: These two actions also authorize Converse and ConverseStream.
INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")


@dataclass(frozen=True)
class ModelRoute:
    """How one allowed model is reached.

    ``model_id`` is what a caller would pass as ``modelId`` without an application profile: a foundation
    model ID (``in_region``), a geography profile ID such as ``eu.amazon.nova-lite-v1:0`` (``geo``) or a
    global profile ID (``global``). ``destination_regions`` are the Regions a ``geo`` profile routes to.
    """

    model_id: str
    foundation_model_id: str
    routing: str = "in_region"
    destination_regions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.routing not in ROUTINGS:
            raise ValueError(f"routing must be one of {ROUTINGS}, got {self.routing!r}")
        if self.routing == "geo" and not self.destination_regions:
            raise ValueError(f"{self.model_id}: a geo profile needs its destination Regions")


class ModelAccess(Construct):
    """Grants that let a principal invoke exactly the allowed models, and only with the guardrail.

    :meth:`grant_invoke` adds, for each grantee:

    - an Allow of ``bedrock:InvokeModel`` and ``bedrock:InvokeModelWithResponseStream`` (which authorize
      Converse and ConverseStream) on the exact ARNs an invocation is authorized against: the application
      inference profiles, the system cross-Region profiles they copy, and the foundation model in every
      Region a profile may route to (the Region-less foundation-model ARN for ``global`` profiles), with
      ``StringEquals bedrock:GuardrailIdentifier = <guardrail ARN>:<version>``;
    - an explicit Deny of the same actions on the same ARNs with ``StringNotEquals`` on that key, so that a
      call without this guardrail version is refused whatever else the principal is allowed;
    - ``bedrock:ApplyGuardrail`` on the guardrail and ``kms:Decrypt`` on its key (see
      :meth:`grant_apply_guardrail`).

    No statement has a ``*`` resource.

    Example::

        from aws_cdk import App, Stack
        from aws_cdk import aws_iam as iam

        from cdk.components.bedrock_inference_profiles import ApplicationInferenceProfiles
        from cdk.components.bedrock_model_access import ModelAccess, ModelRoute

        app = App()
        stack = Stack(app, "Example")
        route = ModelRoute("eu.amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0", "geo",
                           ("eu-central-1", "eu-west-1", "eu-west-3"))
        profiles = ApplicationInferenceProfiles(stack, "Profiles", name_prefix="app-dev", routes=[route])
        guardrail_arn = stack.format_arn(service="bedrock", resource="guardrail", resource_name="abcdefgh1234")
        access = ModelAccess(stack, "ModelAccess", routes=[route],
                             application_profile_arns=[profiles.arn_for(route.model_id)],
                             guardrail_arn=guardrail_arn, guardrail_versioned_arn=f"{guardrail_arn}:1")
        role = iam.Role(stack, "FunctionRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        access.grant_invoke(role)  # EnforcedGuardrail gives guardrail_arn, versioned_arn and key in an application
    """

    def __init__(self, scope: Construct, construct_id: str, *, routes: Sequence[ModelRoute],
                 application_profile_arns: Sequence[str], guardrail_arn: str, guardrail_versioned_arn: str,
                 guardrail_key: kms.IKey | None = None) -> None:
        super().__init__(scope, construct_id)
        if not routes:
            raise ValueError("ModelAccess needs at least one model route")
        self.routes = tuple(routes)
        self.guardrail_arn = guardrail_arn
        self.guardrail_versioned_arn = guardrail_versioned_arn
        self.guardrail_key = guardrail_key
        self.application_profile_arns = tuple(application_profile_arns)
        #: Every ARN the invoke statements name, in a stable order without duplicates.
        self.invoke_resource_arns: tuple[str, ...] = tuple(
            dict.fromkeys([*self.application_profile_arns, *self._route_arns()])
        )

    def _route_arns(self) -> list[str]:
        stack = Stack.of(self)
        partition, region, account = stack.partition, stack.region, stack.account

        def model(model_id: str, in_region: str) -> str:
            return f"arn:{partition}:bedrock:{in_region}::foundation-model/{model_id}"

        arns: list[str] = []
        for route in self.routes:
            if route.routing == "in_region":
                arns.append(model(route.foundation_model_id, region))
                continue
            arns.append(f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{route.model_id}")
            if route.routing == "geo":
                arns.extend(model(route.foundation_model_id, r) for r in route.destination_regions)
            else:  # global: authorized against the source Region's model and the Region-less model ARN
                arns.append(model(route.foundation_model_id, region))
                arns.append(model(route.foundation_model_id, ""))
        return arns

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Invoke (and Converse with) the allowed models, only with the pinned guardrail version."""
        condition_key = "bedrock:GuardrailIdentifier"
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(INVOKE_ACTIONS),
            resource_arns=list(self.invoke_resource_arns),
            conditions={"StringEquals": {condition_key: self.guardrail_versioned_arn}},
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=list(INVOKE_ACTIONS),
                resources=list(self.invoke_resource_arns),
                conditions={"StringNotEquals": {condition_key: self.guardrail_versioned_arn}},
            )
        )
        return grant.combine(self.grant_apply_guardrail(grantee))

    def grant_apply_guardrail(self, grantee: iam.IGrantable) -> iam.Grant:
        """``bedrock:ApplyGuardrail`` on the guardrail (standalone checks), ``kms:Decrypt`` on its key."""
        grant = iam.Grant.add_to_principal(grantee=grantee, actions=["bedrock:ApplyGuardrail"],
                                           resource_arns=[self.guardrail_arn])
        if self.guardrail_key is not None:
            grant = grant.combine(iam.Grant.add_to_principal(grantee=grantee, actions=["kms:Decrypt"],
                                                             resource_arns=[self.guardrail_key.key_arn]))
        return grant
