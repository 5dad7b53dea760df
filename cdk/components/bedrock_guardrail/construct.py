"""A Bedrock guardrail encrypted with its own key, with a pinned version cut whenever its policy changes."""

from __future__ import annotations

import hashlib
import json

import aws_cdk.aws_bedrock_alpha as bedrock
from aws_cdk import Fn, RemovalPolicy
from aws_cdk import aws_bedrock as bedrock_l1
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk.components.bedrock_guardrail.props import (
    IMAGE_CONTENT_FILTERS,
    MODALITIES,
    REQUIRED_CONTENT_FILTERS,
    ContextualGroundingSpec,
    GuardrailPolicy,
)
from cdk.components.customer_key import customer_managed_key

_PII_TYPE_CLASSES = (
    bedrock.GeneralPIIType, bedrock.FinancePIIType, bedrock.InformationTechnologyPIIType,
    bedrock.USASpecificPIIType, bedrock.CanadaSpecificPIIType, bedrock.UKSpecificPIIType,
)


class EnforcedGuardrail(Construct):
    """A Bedrock guardrail with the six content filters, sensitive-information and word policies, a
    customer-managed KMS key, and a ``GuardrailVersion`` that is replaced (a new numbered version) whenever
    the policy changes, so callers pin ``guardrail_version`` and never use ``DRAFT``.

    The guardrail itself is the ``aws_bedrock_alpha.Guardrail`` L2. Its version is the
    ``AWS::Bedrock::GuardrailVersion`` L1 because the alpha's ``createVersion()`` names the version after a
    hash of the L1 properties taken before its lazy filter lists are rendered, so changing a filter does
    not cut a new version (checked on 2.275.0a0), and the alpha exports no ``GuardrailVersion`` class.
    Here the version's ``Description`` (create-only, so a change replaces the resource) carries a
    fingerprint of the whole policy.

    Example::

        from aws_cdk import App, Stack
        from aws_cdk import aws_iam as iam

        from cdk.components.bedrock_guardrail import (
            REQUIRED_CONTENT_FILTERS,
            ContentFilterSpec,
            EnforcedGuardrail,
            GuardrailPolicy,
        )

        app = App()
        stack = Stack(app, "Example")
        guardrail = EnforcedGuardrail(stack, "Guardrail", name="app-dev", policy=GuardrailPolicy(
            content_filters=[ContentFilterSpec(t, "HIGH", "NONE" if t == "PROMPT_ATTACK" else "HIGH")
                             for t in REQUIRED_CONTENT_FILTERS],
            pii_entities={"EMAIL": "ANONYMIZE", "AWS_SECRET_KEY": "BLOCK"},
            blocked_input_message="Sorry, I can't help with that.",
            blocked_output_message="Sorry, I can't show that answer.",
        ))
        role = iam.Role(stack, "FunctionRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        guardrail.grant_apply(role)
    """

    def __init__(self, scope: Construct, construct_id: str, *, name: str, policy: GuardrailPolicy,
                 description: str | None = None, removal_policy: RemovalPolicy = RemovalPolicy.RETAIN) -> None:
        super().__init__(scope, construct_id)
        _check(policy)
        self.policy = policy
        self.key = customer_managed_key(self, "Key", description=f"Encrypts the Bedrock guardrail {name}",
                                        removal_policy=removal_policy)
        self.guardrail = bedrock.Guardrail(
            self,
            "Guardrail",
            guardrail_name=name,
            description=description,
            kms_key=self.key,
            blocked_input_messaging=policy.blocked_input_message,
            blocked_outputs_messaging=policy.blocked_output_message,
            content_filters=[
                bedrock.ContentFilter(
                    type=bedrock.ContentFilterType(f.type),
                    input_strength=bedrock.ContentFilterStrength(f.input_strength),
                    output_strength=bedrock.ContentFilterStrength(f.output_strength),
                    input_modalities=[bedrock.ModalityType(m) for m in f.input_modalities],
                    output_modalities=[bedrock.ModalityType(m) for m in f.output_modalities],
                )
                for f in policy.content_filters
            ],
            # input_action and output_action are explicit: the alpha defaults both to BLOCK when they are
            # left out, which would silently turn ANONYMIZE (mask and serve) into BLOCK.
            pii_filters=[
                bedrock.PIIFilter(type=_pii_type(entity), action=bedrock.GuardrailAction(action),
                                  input_action=bedrock.GuardrailAction(action),
                                  output_action=bedrock.GuardrailAction(action))
                for entity, action in sorted(policy.pii_entities.items())
            ],
            regex_filters=[
                bedrock.RegexFilter(name=r.name, pattern=r.pattern, action=bedrock.GuardrailAction(r.action),
                                    input_action=bedrock.GuardrailAction(r.action),
                                    output_action=bedrock.GuardrailAction(r.action),
                                    description=r.description)
                for r in policy.regexes
            ],
            denied_topics=[
                bedrock.Topic.custom(name=t.name, definition=t.definition, examples=list(t.examples))
                for t in policy.denied_topics
            ],
            word_filters=[bedrock.WordFilter(text=word) for word in policy.words],
            managed_word_list_filters=[
                bedrock.ManagedWordFilter(type=bedrock.ManagedWordFilterType(kind))
                for kind in policy.managed_word_lists
            ],
            contextual_grounding_filters=_contextual_grounding(policy.contextual_grounding),
        )
        # Name and description change the DRAFT too, so they are part of what pins a version.
        self.fingerprint = hashlib.sha256(
            json.dumps([policy.fingerprint(), name, description], ensure_ascii=False).encode()).hexdigest()
        # L1: see the class docstring. Replaced (new version number) whenever the description changes.
        self.version = bedrock_l1.CfnGuardrailVersion(
            self,
            "Version",
            guardrail_identifier=self.guardrail.guardrail_id,
            description=f"{name} policy sha256:{self.fingerprint[:32]}",
        )
        # Consumers in other stacks (a function's GUARDRAIL_VERSION, the IAM condition) move to the new version
        # when their own stack deploys, after this one: CloudFormation keeps a replaced version so that they never
        # point at a deleted one. Deleting the guardrail (with the stack) deletes all of its versions with it.
        self.version.apply_removal_policy(RemovalPolicy.RETAIN)
        self.guardrail_id: str = self.guardrail.guardrail_id
        self.guardrail_arn: str = self.guardrail.guardrail_arn
        #: The pinned numeric version that callers pass as ``guardrailVersion``.
        self.guardrail_version: str = self.version.attr_version
        #: The value of the ``bedrock:GuardrailIdentifier`` condition key for this version:
        #: ``arn:<partition>:bedrock:<region>:<account>:guardrail/<id>:<version>``.
        self.versioned_arn: str = Fn.join(":", [self.guardrail_arn, self.guardrail_version])

    def grant_apply(self, grantee: iam.IGrantable) -> iam.Grant:
        """``bedrock:ApplyGuardrail`` on this guardrail (standalone checks, and what a model call that
        names the guardrail is also authorized against) plus ``kms:Decrypt`` on its key."""
        grant = iam.Grant.add_to_principal(grantee=grantee, actions=["bedrock:ApplyGuardrail"],
                                           resource_arns=[self.guardrail_arn])
        return grant.combine(iam.Grant.add_to_principal(grantee=grantee, actions=["kms:Decrypt"],
                                                        resource_arns=[self.key.key_arn]))


def _contextual_grounding(spec: ContextualGroundingSpec | None) -> list[bedrock.ContextualGroundingFilter]:
    if spec is None:
        return []
    return [
        bedrock.ContextualGroundingFilter(type=kind, threshold=threshold, action=bedrock.GuardrailAction.NONE,
                                          enabled=True)
        for kind, threshold in ((bedrock.ContextualGroundingFilterType.GROUNDING, spec.grounding_threshold),
                                (bedrock.ContextualGroundingFilterType.RELEVANCE, spec.relevance_threshold))
    ]


def _pii_type(entity: str) -> bedrock.PIIType:
    for cls in _PII_TYPE_CLASSES:
        value = getattr(cls, entity, None)
        if value is not None:
            return value
    raise ValueError(f"unknown PII entity type {entity!r}")


def _check(policy: GuardrailPolicy) -> None:
    kinds = [f.type for f in policy.content_filters]
    if sorted(kinds) != sorted(REQUIRED_CONTENT_FILTERS):
        raise ValueError(f"content_filters must have exactly one filter of each type {REQUIRED_CONTENT_FILTERS}, "
                         f"got {kinds}")
    for f in policy.content_filters:
        for modalities in (f.input_modalities, f.output_modalities):
            if not modalities or set(modalities) - set(MODALITIES):
                raise ValueError(f"{f.type}: modalities must be a non-empty subset of {MODALITIES}, got {modalities}")
            if "IMAGE" in modalities and f.type not in IMAGE_CONTENT_FILTERS:
                raise ValueError(f"{f.type}: the IMAGE modality is supported only by {IMAGE_CONTENT_FILTERS}")
        if f.type == "PROMPT_ATTACK" and f.output_strength != "NONE":
            raise ValueError("the PROMPT_ATTACK filter applies to prompts only: its output strength must be NONE")
