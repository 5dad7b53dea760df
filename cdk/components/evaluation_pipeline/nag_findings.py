"""Acknowledging the AwsSolutions-IAM5 findings of the wildcard resources Step Functions tasks and grants generate,
one finding at a time (never the whole rule): the findings are computed from the policies as cdk-nag renders them,
once the app is prepared (cross-stack references such as the orchestrator's ARN resolve only then)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import jsii
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import IConstruct, IValidation

from cdk.policy import acknowledge


def nag_rendering(value: object) -> str:
    """A resolved IAM resource as cdk-nag's AwsSolutions-IAM5 names it in a finding: ``{"Ref": X}`` -> ``<X>``,
    ``{"Fn::GetAtt": [X, Y]}`` -> ``<X.Y>``, an empty-delimiter ``Fn::Join`` concatenated, anything else compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    if isinstance(value, dict) and set(value) == {"Fn::Join"} and value["Fn::Join"][0] == "":
        return "".join(nag_rendering(part) for part in value["Fn::Join"][1])
    return json.dumps(value, separators=(",", ":"))


def wildcard_findings(policy: iam.CfnPolicy | iam.CfnManagedPolicy) -> list[str]:
    """The ``Resource::`` findings AwsSolutions-IAM5 reports for the wildcard resources of ``policy``."""
    document = Stack.of(policy).resolve(policy.policy_document)
    findings = set()
    for statement in document.get("Statement", ()):
        resources = statement.get("Resource", [])
        for resource in resources if isinstance(resources, list) else [resources]:
            rendered = nag_rendering(resource)
            if "*" in rendered:
                findings.add(f"Resource::{rendered}")
    return sorted(findings)


@jsii.implements(IValidation)
class WildcardAcknowledgement:
    """Runs in the validation phase (after references resolve, before cdk-nag's plugin): acknowledges the wildcard
    resource findings of every IAM policy under ``owners`` with ``reason``; reports no error itself."""

    def __init__(self, owners: Sequence[IConstruct], reason: str) -> None:
        self._owners = list(owners)
        self._reason = reason

    def validate(self) -> list[str]:
        for owner in self._owners:
            for construct in owner.node.find_all():
                if isinstance(construct, (iam.CfnPolicy, iam.CfnManagedPolicy)):
                    findings = wildcard_findings(construct)
                    if findings:
                        acknowledge(construct, "AwsSolutions-IAM5", self._reason, findings=findings)
        return []
