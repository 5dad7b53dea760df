"""Service principals with cross-service confused-deputy conditions, for the SageMaker components' roles.

AWS documents ``aws:SourceAccount`` / ``aws:SourceArn`` on these trust policies (checked with the search tool):

- SageMaker: "Cross-service confused deputy prevention" in the SageMaker Developer Guide
  (sagemaker/latest/dg/security-confused-deputy-prevention.html) recommends both keys in the trust policy of an
  execution role, with sections for inference (models, endpoints) and training jobs.
- Step Functions: "Creating an IAM role for your state machine", section "Prevent cross-service confused deputy
  issue" (step-functions/latest/dg/procedure-create-iam-role.html), shows a state machine role's trust policy with
  ``aws:SourceAccount`` and ``aws:SourceArn`` ``arn:<partition>:states:<region>:<account>:stateMachine:*``.

``aws:SourceArn`` is matched with ``ArnLike`` on every resource of the service in this account and region
(``...:sagemaker:<region>:<account>:*``): which SageMaker resource ARN (model, endpoint configuration, training job)
the service presents when it assumes the role was not verified per operation, so a narrower pattern is not used.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

_SOURCE_RESOURCES = {"sagemaker": "*", "states": "stateMachine:*"}


def service_principal(scope: Construct, service: str) -> iam.ServicePrincipal:
    """``<service>.amazonaws.com`` allowed to assume a role only on behalf of this account's resources in this
    stack's region (``service`` is ``sagemaker`` or ``states``)."""
    stack = Stack.of(scope)
    source_arn = f"arn:{stack.partition}:{service}:{stack.region}:{stack.account}:{_SOURCE_RESOURCES[service]}"
    return iam.ServicePrincipal(f"{service}.amazonaws.com", conditions={
        "StringEquals": {"aws:SourceAccount": stack.account},
        "ArnLike": {"aws:SourceArn": source_arn},
    })
