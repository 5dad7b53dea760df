#!/usr/bin/env python3
"""moto's server, with fixes for the moto bugs the deploy rehearsal runs into. Rehearsal use only.

    python scripts/rehearsal_emulator.py -H 127.0.0.1 -p 5000     # same arguments as moto_server

Each fix corrects the emulator, never our templates, so the rehearsal deploys what real environments
deploy. Every fix is listed in ``PATCHES`` (the rehearsal report prints them) and is a no-op for input
moto already handles.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

PATCHES: dict[str, str] = {
    "kms-cfn-tags": "AWS::KMS::Key Tags arrive in CloudFormation's {Key, Value} form; moto 5.2.5's KMS model "
                    "expects {TagKey, TagValue} and fails the whole stack with KeyError 'TagKey'",
    "outputs-of-skipped-types": "an Output with Fn::GetAtt on a resource type moto does not implement (e.g. "
                                "AWS::Bedrock::Guardrail) crashes moto 5.2.5's template validation "
                                "(AttributeError on None); such outputs are left unvalidated, like their resource",
    "getatt-of-skipped-types": "Fn::GetAtt on a resource moto skipped (type not implemented) fails the stack in "
                               "moto 5.2.5; it resolves to the placeholder 'rehearsal-skipped:<LogicalId>.<Attribute>'",
    "ref-of-skipped-types": "a Ref to a resource moto skipped (e.g. AWS::Cognito::UserPool) resolves to nothing in moto "
                            "5.2.5, so an Output of it vanishes and a stack importing it fails; it resolves to the "
                            "placeholder 'rehearsal-skipped:<LogicalId>.Ref'",
    "custom-resources-not-invoked": "moto runs a custom resource's Lambda handler in Docker and waits for its "
                                    "response forever when there is no Docker; custom resources complete at once, "
                                    "with no attributes, and their handlers are not run",
    "fn-getstackoutput": "moto 5.2.5 does not know Fn::GetStackOutput, which CDK renders for cross-stack "
                         "references under @aws-cdk/core:defaultCrossStackReferences=weak; it is resolved from "
                         "the named stack's outputs (same account; Region honoured; RoleArn ignored)",
    "iam-managed-policy-delete": "moto 5.2.5 cannot delete an AWS::IAM::ManagedPolicy that a stack attached to "
                                 "a role, so deleting the stack fails with DeleteConflict; the policy is "
                                 "detached from its roles, users and groups, then deleted, as CloudFormation does",
    "lambda-alias-and-version-cfn": "moto 5.2.5 has no CloudFormation model for AWS::Lambda::Alias (a Ref to it "
                                    "resolves to nothing, so a Permission on the alias fails with KeyError "
                                    "'FunctionName') and no Fn::GetAtt on AWS::Lambda::Version (AttributeError); the "
                                    "alias is created through moto's Lambda backend (Ref and AliasArn: its ARN) and "
                                    "a version answers GetAtt Version",
    "ssm-parameter-cfn": "an AWS::SSM::Parameter without Name gets a generated name from CloudFormation, and its "
                         "Tags are a JSON object of key -> value; moto 5.2.5 passes Name None to put_parameter "
                         "(AttributeError on None.lower) and reads Tags as a list of {Key, Value} (TypeError): the "
                         "parameter gets the resource name moto generated for it, its tags the list form",
}
# ARN-shaped, so that IAM policy validation accepts it wherever the real value would be an ARN.
SKIPPED_PLACEHOLDER = "arn:aws:rehearsal:::skipped/{logical_id}/{attribute}"


def _kms_tags_as_kms_api(tags: Any) -> Any:
    if not isinstance(tags, list):
        return tags
    return [{"TagKey": t["Key"], "TagValue": t.get("Value", "")} if isinstance(t, dict) and "Key" in t else t
            for t in tags]


def patch_kms_cfn_tags() -> None:
    from moto.kms.models import Key

    original: Callable[..., Any] = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    if getattr(original, "_rehearsal_patched", False):
        return

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json.get("Properties", {})
        if "Tags" in properties:
            cloudformation_json = {**cloudformation_json,
                                   "Properties": {**properties, "Tags": _kms_tags_as_kms_api(properties["Tags"])}}
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    create_from_cloudformation_json._rehearsal_patched = True  # type: ignore[attr-defined]
    Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign]


def patch_ssm_parameter_cfn() -> None:
    from moto.ssm.models import Parameter

    original: Callable[..., Any] = Parameter.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    if getattr(original, "_rehearsal_patched", False):
        return

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = dict(cloudformation_json.get("Properties", {}))
        properties["Name"] = properties.get("Name") or resource_name
        if isinstance(properties.get("Tags"), dict):
            properties["Tags"] = [{"Key": key, "Value": value} for key, value in properties["Tags"].items()]
        return original(cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name,
                        **kwargs)

    create_from_cloudformation_json._rehearsal_patched = True  # type: ignore[attr-defined]
    Parameter.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign]


def patch_outputs_of_skipped_types() -> None:
    from moto.cloudformation import parsing

    original = parsing.ResourceMap.validate_outputs
    if getattr(original, "_rehearsal_patched", False):
        return

    def targets_unimplemented_type(resource_map: Any, output: Any) -> bool:
        value = output.get("Value") if isinstance(output, dict) else None
        if not (isinstance(value, dict) and "Fn::GetAtt" in value):
            return False
        resource = resource_map._resource_json_map.get(value["Fn::GetAtt"][0]) or {}
        return parsing.resource_class_from_type(resource.get("Type", "")) is None

    def validate_outputs(self: Any) -> None:
        outputs = self._template.get("Outputs")
        if not outputs:
            return original(self)
        self._template["Outputs"] = {k: v for k, v in outputs.items() if not targets_unimplemented_type(self, v)}
        try:
            return original(self)
        finally:
            self._template["Outputs"] = outputs

    validate_outputs._rehearsal_patched = True  # type: ignore[attr-defined]
    parsing.ResourceMap.validate_outputs = validate_outputs  # type: ignore[method-assign]


def get_stack_output(spec: Any, resources_map: Any) -> Any:
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import cloudformation_backends

    if not isinstance(spec, dict) or "StackName" not in spec or "OutputName" not in spec:
        raise ValidationError(message=f"Template error: Fn::GetStackOutput needs StackName and OutputName, got {spec!r}")
    region = spec.get("Region") or resources_map._region_name
    stack = cloudformation_backends[resources_map._account_id][region].get_stack(spec["StackName"])
    for output in stack.output_map.values():
        if output and output.key == spec["OutputName"]:
            return output.value
    raise ValidationError(message=f"Template error: stack {spec['StackName']} has no output {spec['OutputName']}")


def patch_intrinsics() -> None:
    """Ref and Fn::GetAtt of resources moto skipped, and Fn::GetStackOutput."""
    from moto.cloudformation import parsing

    original = parsing.clean_json
    if getattr(original, "_rehearsal_patched", False):
        return

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        if isinstance(resource_json, dict) and "Fn::GetStackOutput" in resource_json:
            return get_stack_output(clean_json(resource_json["Fn::GetStackOutput"], resources_map), resources_map)
        if isinstance(resource_json, dict) and isinstance(resource_json.get("Ref"), str):
            # Conditions are parsed with a plain dict for resources_map: no resources there.
            resource = getattr(resources_map, "_resource_json_map", {}).get(resource_json["Ref"]) or {}
            if resource and parsing.resource_class_from_type(resource.get("Type", "")) is None:
                return SKIPPED_PLACEHOLDER.format(logical_id=resource_json["Ref"], attribute="Ref")
        if isinstance(resource_json, dict) and "Fn::GetAtt" in resource_json:
            target = resource_json["Fn::GetAtt"]
            if isinstance(target, str):
                target = target.split(".", 1)
            logical_id, attribute = target[0], target[1] if len(target) > 1 else ""
            resource = resources_map._resource_json_map.get(logical_id) or {}
            if resource and parsing.resource_class_from_type(resource.get("Type", "")) is None:
                return SKIPPED_PLACEHOLDER.format(logical_id=logical_id, attribute=attribute)
        return original(resource_json, resources_map)  # recursion comes back through this wrapper

    clean_json._rehearsal_patched = True  # type: ignore[attr-defined]
    parsing.clean_json = clean_json


def patch_custom_resources_not_invoked() -> None:
    from moto.cloudformation.custom_model import CustomModel

    if getattr(CustomModel.create_from_cloudformation_json, "_rehearsal_patched", False):
        return

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        resource = cls(region_name, "rehearsal-not-invoked", kwargs["LogicalId"], resource_name)
        resource.set_data({})  # finished: the stack does not wait for a response that cannot come
        return resource

    create_from_cloudformation_json._rehearsal_patched = True  # type: ignore[attr-defined]
    CustomModel.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign]


def patch_iam_managed_policy_delete() -> None:
    from moto.iam.models import ManagedPolicy

    if hasattr(ManagedPolicy, "_rehearsal_patched"):
        return

    def delete(self: Any, account_id: str, region_name: str) -> None:
        backend = self.backend
        for entities in (backend.roles.values(), backend.users.values(), backend.groups.values()):
            for entity in entities:
                if self.arn in getattr(entity, "managed_policies", {}):
                    self.detach_from(entity)
        backend.delete_policy(self.arn)

    ManagedPolicy.delete = delete  # type: ignore[attr-defined]
    ManagedPolicy._rehearsal_patched = True  # type: ignore[attr-defined]


def patch_lambda_alias_and_version_cfn() -> None:
    from moto.awslambda import models as lambda_models
    from moto.cloudformation import parsing
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.core.common_models import CloudFormationModel

    version_class = lambda_models.LambdaVersion
    if getattr(version_class, "_rehearsal_patched", False):
        return

    def version_attribute(self: Any, attribute_name: str) -> str:
        if attribute_name == "Version":
            return str(self.version)
        raise UnformattedGetAttTemplateException()

    version_class.get_cfn_attribute = version_attribute  # type: ignore[attr-defined]
    version_class._rehearsal_patched = True  # type: ignore[attr-defined]

    class RehearsalLambdaAlias(CloudFormationModel):
        __module__ = "moto.awslambda.rehearsal"  # moto's model metaclass reads the service from the module path

        def __init__(self, alias: Any, function_name: str, account_id: str, region_name: str) -> None:
            self.alias, self.function_name = alias, function_name
            self.account_id, self.region_name = account_id, region_name

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::Lambda::Alias"

        @property
        def physical_resource_id(self) -> str:
            return self.alias.arn

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,
                                            **kwargs):
            properties = cloudformation_json["Properties"]
            backend = lambda_models.lambda_backends[account_id][region_name]
            alias = backend.create_alias(properties["Name"], properties["FunctionName"],
                                         str(properties["FunctionVersion"]), properties.get("Description", ""),
                                         properties.get("RoutingConfig"))
            return cls(alias, properties["FunctionName"], account_id, region_name)

        def get_cfn_attribute(self, attribute_name: str) -> str:
            if attribute_name == "AliasArn":
                return self.alias.arn
            raise UnformattedGetAttTemplateException()

        def delete(self, account_id: str, region_name: str) -> None:
            # moto may delete the function first (its deletion order is not CloudFormation's): the alias went with it.
            with contextlib.suppress(Exception):  # UnknownFunctionException and the like: nothing left to delete
                lambda_models.lambda_backends[account_id][region_name].delete_alias(self.alias.name, self.function_name)

    parsing.get_model_list.cache_clear()  # both are cached: let them see the new model
    parsing.get_model_map.cache_clear()


def apply_patches() -> None:
    patch_lambda_alias_and_version_cfn()
    patch_custom_resources_not_invoked()
    patch_iam_managed_policy_delete()
    patch_kms_cfn_tags()
    patch_ssm_parameter_cfn()
    patch_outputs_of_skipped_types()
    patch_intrinsics()


def main(argv: list[str] | None = None) -> None:
    apply_patches()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
