"""The Lambda Web Adapter component: its docstring example runs on a bare stack with zero AwsSolutions
findings, and the layer ARN is the publisher's, in the stack's partition and region."""

from __future__ import annotations

import pytest

from cdk.components.lambda_web_adapter import WebAdapterLayer, WebAdapterProps
from tests.unit.docstring_examples import synth_docstring_example


def test_the_docstring_example_synthesizes_with_no_nag_findings(monkeypatch):
    template = synth_docstring_example(WebAdapterLayer, monkeypatch)
    arn = template["Outputs"]["WebAdapterLayerArn"]["Value"]
    assert arn == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":lambda:", {"Ref": "AWS::Region"},
                                     ":753240598075:layer:LambdaAdapterLayerArm64:25"]]}


def test_props_switch_on_response_streaming_and_refuse_unknown_architectures():
    env = WebAdapterProps(layer_version=25).environment()
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap" and env["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert WebAdapterProps(architecture="x86_64").layer_name == "LambdaAdapterLayerX86"
    with pytest.raises(ValueError, match="architecture"):
        WebAdapterProps(architecture="mips")
