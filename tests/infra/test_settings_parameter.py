"""Every function running the orchestrator's code (the API's two, the Gateway's tool function) keeps the JSON settings
that grow with the configuration in its own SSM parameter, not in Lambda's 4 KB environment: exactly those
variables, a Standard parameter while they fit 4 KB, readable by that function alone."""

from __future__ import annotations

import json
import re

import pytest

from cdk.runtime_contracts import expose_runtime_packages

expose_runtime_packages()

# isort: split
from orchestrator.settings import PARAMETER_VARIABLES, SETTINGS_PARAMETER_VARIABLE  # noqa: E402

from tests.infra.synth import flat, function_variables  # noqa: E402

HANDLERS = ("handler.handler", "run.sh", "tool_handler.handler")


def _orchestrator_functions(synthesized):
    for stack in synthesized.stacks:
        for logical_id, function in stack.resources_of_type("AWS::Lambda::Function").items():
            if function["Properties"]["Handler"] in HANDLERS:
                yield stack, logical_id, function["Properties"]


def _statements_of(stack, role_logical_id):
    for policy in stack.resources_of_type("AWS::IAM::ManagedPolicy").values():
        if {"Ref": role_logical_id} in policy["Properties"].get("Roles", []):
            yield from policy["Properties"]["PolicyDocument"]["Statement"]


def test_the_growing_settings_are_in_the_functions_own_parameter_and_only_it_may_read_it(synthesized):
    functions = list(_orchestrator_functions(synthesized))
    assert {props["Handler"] for _, _, props in functions} == set(HANDLERS)
    for stack, logical_id, props in functions:
        variables = props["Environment"]["Variables"]
        assert not set(PARAMETER_VARIABLES) & set(variables), (stack.environment, logical_id)
        parameter_id = variables[SETTINGS_PARAMETER_VARIABLE]["Ref"]
        parameter = stack.resources[parameter_id]["Properties"]
        assert parameter["Type"] == "String" and parameter.get("Tier") == "Standard"
        assert {"MODELS", "DEFAULT_MODELS", "SAFETY_CONFIG"} <= set(function_variables(stack.resources, props))
        grants = [s for s in _statements_of(stack, props["Role"]["Fn::GetAtt"][0])
                  if "ssm" in json.dumps(s["Action"])]
        assert [s["Action"] for s in grants] == ["ssm:GetParameter"], (stack.environment, logical_id)
        arn = (r"arn:(aws|\$\{AWS::Partition\}):ssm:([a-z0-9-]+|\$\{AWS::Region\}):(\d{12}|\$\{AWS::AccountId\}):"
               rf"parameter/\$\{{{parameter_id}\}}")
        assert re.fullmatch(arn, flat(grants[0]["Resource"])), flat(grants[0]["Resource"])


@pytest.mark.parametrize("handler", HANDLERS)
def test_each_orchestrator_environment_keeps_768_bytes_of_lambdas_4_kb_with_every_token_at_512(synthesized, handler):
    """Measured on the template: every literal byte, each deploy-time token counted at 512 bytes (longer than any
    ARN or name it stands for here; the synth-time check counts each at its own bound, which leaves ~2.4 KB).
    Before the settings parameter the streaming function had 69 bytes left, at those tighter bounds."""
    from aws_cdk import App, Stack

    from cdk.components.python_function.environment_size import estimate_environment_bytes

    for stack, _, props in _orchestrator_functions(synthesized):
        if props["Handler"] != handler:
            continue
        variables = {key: value if isinstance(value, str) else "x" * 512 for key, value in
                     props["Environment"]["Variables"].items()}
        total, _ = estimate_environment_bytes(Stack(App(), "Measure"), variables)
        assert total <= 4096 - 768, (stack.environment, handler, total)


def test_a_value_ssm_refuses_fails_synth_naming_the_function():
    """botocore ssm PutParameter (Value): "You can't include values wrapped in double brackets {{}}": a knowledge
    base description with {{...}} in cdk.json would otherwise fail only at deploy."""
    from aws_cdk import App, Duration, RemovalPolicy, Stack
    from aws_cdk import aws_logs as logs

    from cdk.components.python_function import PythonFunction

    app = App()
    PythonFunction(Stack(app, "S"), "Fn", asset="orchestrator", handler="handler.handler", service_name="s",
                   metrics_namespace="n", memory_size=128, timeout=Duration.seconds(3), reserved_concurrency=None,
                   log_retention=logs.RetentionDays.ONE_DAY, removal_policy=RemovalPolicy.DESTROY,
                   parameter_environment={"KNOWLEDGE_BASES": '[{"description": "see {{guide}}"}]'})
    with pytest.raises(RuntimeError, match=r"settings parameter of S/Fn holds '\{\{'"):
        app.synth()
