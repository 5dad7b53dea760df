"""Typed arguments of :class:`WebAdapterLayer` (CDK-free): the AWS Lambda Web Adapter layer and the
variables that turn it on for a function.

The layer is published by the awslabs/aws-lambda-web-adapter project (an AWS Labs project) in account
``753240598075`` as ``LambdaAdapterLayerX86`` / ``LambdaAdapterLayerArm64``, one version number per
release, in each commercial region (its README: ``arn:aws:lambda:${AWS::Region}:753240598075:layer:
LambdaAdapterLayerArm64:<version>``). Checked here: the ARN format, the publisher account and the layer
names in the project's README; the zip-package setup (layer + ``AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap`` +
a start-up script as the handler); ``AWS_LWA_INVOKE_MODE=response_stream`` for response streaming and the
``x-amzn-request-context`` header carrying API Gateway's request context (project docs). NOT checked
offline: that ``DEFAULT_LAYER_VERSION`` is the newest release in every region you deploy to, and the
partitions other than ``aws`` (China and GovCloud use other publisher accounts): check the project's
release notes before a first deploy and set ``api.streaming.web_adapter_layer_version``.
"""

from __future__ import annotations

from dataclasses import dataclass

PUBLISHER_ACCOUNT = "753240598075"
LAYER_NAMES = {"arm64": "LambdaAdapterLayerArm64", "x86_64": "LambdaAdapterLayerX86"}
#: A release published in the commercial regions (layer version 25 of both names); see the module docstring.
DEFAULT_LAYER_VERSION = 25
DEFAULT_PORT = 8080
#: The partitions where the publisher account above serves the layer.
SUPPORTED_PARTITIONS = ("aws",)


@dataclass(frozen=True)
class WebAdapterProps:
    layer_version: int = DEFAULT_LAYER_VERSION
    architecture: str = "arm64"  # arm64 | x86_64: the function's architecture
    port: int = DEFAULT_PORT
    readiness_check_path: str = "/"

    def __post_init__(self) -> None:
        if self.architecture not in LAYER_NAMES:
            raise ValueError(f"architecture {self.architecture!r}: allowed {sorted(LAYER_NAMES)}")
        if not 1 <= self.layer_version <= 10_000:
            raise ValueError(f"layer_version {self.layer_version}: allowed 1..10000")

    @property
    def layer_name(self) -> str:
        return LAYER_NAMES[self.architecture]

    def environment(self) -> dict[str, str]:
        """The variables LWA reads: run the handler script under LWA's bootstrap, stream responses."""
        return {
            "AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap",
            "AWS_LWA_INVOKE_MODE": "response_stream",
            "AWS_LWA_PORT": str(self.port),
            "AWS_LWA_READINESS_CHECK_PATH": self.readiness_check_path,
        }
