"""cdk-nag 3.x gates.

cdk-nag 3 plugs into CDK's policy validation (``Validations.of(app).add_plugins``): any finding that is
not acknowledged fails ``cdk synth``. The packs:

- AwsSolutions: the AWS Solutions library checks.
- Serverless: Lambda, API Gateway, Step Functions, SNS/SQS operational best practices.
- NIST 800-53 rev 5: covers CloudTrail and SageMaker, which AwsSolutions does not.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Acknowledgment, Stage, Validations
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks
from constructs import IConstruct

MIN_REASON_LENGTH = 30


RULE_PACKS = {"AwsSolutions": AwsSolutionsChecks, "Serverless": ServerlessChecks, "NIST.800.53.R5": NIST80053R5Checks}


def apply_policy_gates(scope: Stage, packs: Iterable[str] = tuple(RULE_PACKS)) -> None:
    """Attach rule packs (all by default) to an App or Stage; findings then fail synth unless acknowledged."""
    Validations.of(scope).add_plugins(*(RULE_PACKS[pack](scope) for pack in packs))


def acknowledge(construct: IConstruct, rule: str, reason: str, *, findings: Iterable[str] = ()) -> None:
    """Acknowledge one rule on one construct (and its children) with a specific reason.

    ``findings`` narrows a rule that reports several findings per resource, e.g.
    ``acknowledge(role, "AwsSolutions-IAM5", "...", findings=["Resource::arn:<AWS::Partition>:logs:*"])``
    acknowledges ``AwsSolutions-IAM5[Resource::...]`` only, never the whole rule.
    """
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledging {rule} needs a specific reason (at least {MIN_REASON_LENGTH} characters)")
    ids = [f"{rule}[{finding}]" for finding in findings] or [rule]
    Validations.of(construct).acknowledge(*(Acknowledgment(id=rule_id, reason=reason) for rule_id in ids))
