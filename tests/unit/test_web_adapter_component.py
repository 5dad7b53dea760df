"""The Lambda Web Adapter component: the layer ARN is the publisher's, in the stack's partition and region
(its docstring example runs in tests/infra/test_component_examples.py)."""

from __future__ import annotations

import pytest

from cdk.components.lambda_web_adapter import WebAdapterLayer, WebAdapterProps


def test_the_layer_arn_is_the_publishers_in_the_stacks_partition_and_region():
    from aws_cdk import App, Stack

    stack = Stack(App(), "Example")
    layer = WebAdapterLayer(stack, "WebAdapter", props=WebAdapterProps(layer_version=25))
    assert stack.resolve(layer.layer.layer_version_arn) == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":lambda:", {"Ref": "AWS::Region"},
                          ":753240598075:layer:LambdaAdapterLayerArm64:25"]]}


def test_props_switch_on_response_streaming_and_refuse_unknown_architectures():
    env = WebAdapterProps(layer_version=25).environment()
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap" and env["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert WebAdapterProps(architecture="x86_64").layer_name == "LambdaAdapterLayerX86"
    with pytest.raises(ValueError, match="architecture"):
        WebAdapterProps(architecture="mips")
