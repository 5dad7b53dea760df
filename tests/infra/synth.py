"""Synthesize the whole app (every environment in cdk.json, policy gates attached) once per test session."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_STAGE_PREFIX = "account-"


def flat(value: Any) -> Any:
    """CloudFormation intrinsics as text, so that ARNs and names compare as strings: {"Ref": "X"} -> "${X}",
    Fn::GetAtt -> "${X.Attr}", Fn::Join joined, Fn::Sub its template, Fn::FindInMap -> "${FindInMap:m,k,v}",
    any other single intrinsic (GetStackOutput, ImportValue, Select, ...) -> "${<its JSON>}"."""
    if isinstance(value, dict):
        if "Ref" in value:
            return f"${{{value['Ref']}}}"
        if "Fn::GetAtt" in value:
            return "${" + ".".join(value["Fn::GetAtt"]) + "}"
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(flat(part)) for part in parts)
        if "Fn::Sub" in value:
            return value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        if "Fn::FindInMap" in value:
            return "${FindInMap:" + ",".join(str(flat(part)) for part in value["Fn::FindInMap"]) + "}"
        if len(value) == 1 and next(iter(value)).startswith("Fn::"):
            return "${" + json.dumps(value, sort_keys=True) + "}"
        return {key: flat(item) for key, item in value.items()}
    if isinstance(value, list):
        return [flat(item) for item in value]
    return value


def _text_of(value: Any) -> str:
    """``flat`` as text fit to sit inside JSON strings (nested ones too): an intrinsic other than Ref/GetAtt
    (``Fn::ImportValue``, ``Fn::GetStackOutput``) reads as ``${<its JSON without quotes, braces and spaces>}``."""
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_text_of(part) for part in parts)
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) not in ("Ref", "Fn::GetAtt"):
        return "${" + "".join(c for c in json.dumps(value, sort_keys=True) if c not in '"\\{} ') + "}"
    text = flat(value)  # a Ref / GetAtt: ${X} / ${X.Attr}, no quote
    return text if isinstance(text, str) else json.dumps(text)


def function_variables(resources: dict[str, Any], function: dict[str, Any]) -> dict[str, Any]:
    """A Lambda function's settings as its code reads them (lambdas/orchestrator/orchestrator/settings.py): its
    environment variables and, where ``SETTINGS_PARAMETER`` names an SSM parameter of the same template, that
    parameter's variables (its JSON value, deploy-time tokens read as ``${...}``; orchestrator.settings.with_parameter).
    ``function`` is the resource or its Properties."""
    props = function.get("Properties", function)
    variables = dict(props["Environment"]["Variables"])
    reference = variables.pop("SETTINGS_PARAMETER", None)
    if reference is not None:
        parameter = resources[reference["Ref"]]
        assert parameter["Type"] == "AWS::SSM::Parameter", parameter["Type"]
        stored = json.loads(_text_of(parameter["Properties"]["Value"]))
        assert not set(stored) & set(variables), "a variable is both in the environment and in the parameter"
        variables.update(stored)
    return variables


def cdk_context() -> dict[str, Any]:
    return json.loads((ROOT / "cdk.json").read_text())["context"]


@dataclass(frozen=True)
class StackTemplate:
    environment: str
    construct_id: str
    stack_name: str
    template_file: Path

    @cached_property
    def template(self) -> dict[str, Any]:
        return json.loads(self.template_file.read_text())

    @property
    def resources(self) -> dict[str, Any]:
        return self.template.get("Resources", {})

    def resources_of_type(self, resource_type: str) -> dict[str, Any]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] == resource_type}

    def assertions(self):
        from aws_cdk.assertions import Template

        return Template.from_json(self.template)


@dataclass
class SynthesizedApp:
    outdir: Path
    validation_error: str | None
    stacks: list[StackTemplate] = field(default_factory=list)

    def stack(self, environment: str, construct_id: str) -> StackTemplate:
        for stack in self.stacks:
            if stack.environment == environment and stack.construct_id == construct_id:
                return stack
        known = ", ".join(f"{s.environment}/{s.construct_id}" for s in self.stacks)
        raise KeyError(f"no stack {environment}/{construct_id}; synthesized: {known}")

    def environments(self) -> list[str]:
        """The environments' stages (not the account stages, see :meth:`account_stacks`)."""
        return sorted({s.environment for s in self.stacks if not s.environment.startswith(ACCOUNT_STAGE_PREFIX)})

    def account_stacks(self) -> list[StackTemplate]:
        """The account stacks (one per account and region: stages ``account-[<account>-]<region>``)."""
        return [s for s in self.stacks if s.environment.startswith(ACCOUNT_STAGE_PREFIX)]

    def account_stack_of(self, environment: str) -> StackTemplate:
        """The account stack of the shipped config's environment (cdk.json), i.e. of its account and region."""
        from cdk.config import load_app_config

        place = load_app_config(cdk_context()).account_place(environment)
        return self.stack(place.stage_id, "Account")

    def validation_report(self) -> dict[str, Any] | None:
        report = self.outdir / "validation-report.json"
        return json.loads(report.read_text()) if report.is_file() else None

    def manifests(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text()) for p in self.outdir.glob("assembly-*/manifest.json")]


def synthesize(outdir: Path, context: dict[str, Any] | None = None) -> SynthesizedApp:
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from aws_cdk import App
    from build_lambda_assets import build_all

    from cdk.main import build_app

    build_all()
    context = dict(cdk_context() if context is None else context)
    app = App(outdir=str(outdir), context=context, analytics_reporting=False)
    build_app(app, context=context)
    try:
        app.synth()
        error = None
    except RuntimeError as exc:  # policy validation failures surface as a jsii RuntimeError
        error = str(exc)
    return SynthesizedApp(outdir=outdir, validation_error=error, stacks=list(_stacks(outdir)))


def _stacks(outdir: Path):
    for manifest_path in sorted(outdir.glob("assembly-*/manifest.json")):
        environment = manifest_path.parent.name.removeprefix("assembly-")
        manifest = json.loads(manifest_path.read_text())
        for artifact in manifest.get("artifacts", {}).values():
            if artifact.get("type") != "aws:cloudformation:stack":
                continue
            props = artifact["properties"]
            display = artifact.get("displayName", "")
            yield StackTemplate(
                environment=environment,
                construct_id=display.split("/")[-1].split(" ")[0],
                stack_name=props.get("stackName", display),
                template_file=manifest_path.parent / props["templateFile"],
            )
