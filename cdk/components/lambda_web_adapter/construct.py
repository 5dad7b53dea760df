"""The AWS Lambda Web Adapter layer, named by ARN in the deploying stack's partition and region."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk.components.lambda_web_adapter.props import PUBLISHER_ACCOUNT, WebAdapterProps


class WebAdapterLayer(Construct):
    """The Lambda Web Adapter layer (``layer``) and the variables that switch it on (``environment``).

    A Python function on a managed runtime streams its response through it: LWA runs the function's
    handler script (an HTTP server on ``props.port``) and streams that server's response back through
    Lambda's response streaming (``AWS_LWA_INVOKE_MODE=response_stream``).

    Example::

        from aws_cdk import App, Stack
        from aws_cdk import aws_ssm as ssm

        from cdk.components.lambda_web_adapter import WebAdapterLayer, WebAdapterProps

        app = App()
        stack = Stack(app, "Example")
        adapter = WebAdapterLayer(stack, "WebAdapter", props=WebAdapterProps(layer_version=25, architecture="arm64"))
        # A function takes it with layers=[adapter.layer], handler="run.sh" and environment=adapter.environment.
        ssm.StringParameter(stack, "WebAdapterLayerArn", string_value=adapter.layer.layer_version_arn)
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: WebAdapterProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        arn = Stack.of(self).format_arn(
            service="lambda", account=PUBLISHER_ACCOUNT, resource="layer",
            resource_name=f"{props.layer_name}:{props.layer_version}", arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.layer = lambda_.LayerVersion.from_layer_version_arn(self, "Layer", arn)
        self.environment = props.environment()
