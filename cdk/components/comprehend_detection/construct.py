"""Permission to call Amazon Comprehend's real-time detection APIs, in the stack's Region only."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from cdk.policy import acknowledge

# None of these supports resource-level permissions (Service Authorization Reference, Amazon Comprehend:
# no resource type for these actions), so the statement's resource is "*", narrowed by Region.
COMPREHEND_ACTIONS = ("comprehend:DetectPiiEntities", "comprehend:DetectToxicContent",
                      "comprehend:DetectDominantLanguage")


class ComprehendDetectionPolicy(iam.ManagedPolicy):
    """A customer-managed policy allowing PII, toxicity and dominant-language detection in this Region.

    Example::

        from aws_cdk import App, Stack
        from aws_cdk import aws_iam as iam

        from cdk.components.comprehend_detection import ComprehendDetectionPolicy

        app = App()
        stack = Stack(app, "Example")
        role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        ComprehendDetectionPolicy(stack, "SafetyFiltersPolicy", roles=[role],
                                  description="Comprehend detection for the safety filters")
    """

    def __init__(self, scope: Construct, construct_id: str, *, roles: Sequence[iam.IRole], description: str) -> None:
        super().__init__(
            scope,
            construct_id,
            description=description,
            roles=list(roles),
            statements=[
                iam.PolicyStatement(
                    sid="ComprehendDetection",
                    actions=list(COMPREHEND_ACTIONS),
                    resources=["*"],
                    conditions={"StringEquals": {"aws:RequestedRegion": Stack.of(scope).region}},
                )
            ],
        )
        acknowledge(
            self, "AwsSolutions-IAM5",
            "Comprehend DetectPiiEntities, DetectToxicContent and DetectDominantLanguage have no resource types "
            "(Service Authorization Reference): they take only Resource '*', narrowed here to this Region",
            findings=["Resource::*"],
        )
