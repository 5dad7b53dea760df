"""Typed metric sources shared by the operations dashboard and the service alarms.

Example::

    from aws_cdk import App, Stack
    from aws_cdk import aws_cloudwatch as cw

    from cdk.components.service_metrics import AppMetrics, BedrockModels

    app = App()
    stack = Stack(app, "Example")
    models = BedrockModels({"claude-haiku": "abc123profile"})
    invocations = models.per_model("Invocations")  # one cw.Metric per model, dimension ModelId
    tokens = AppMetrics(namespace="genai", environment="dev").search("InputTokens", statistic="Sum")
    cw.Dashboard(stack, "Dashboard", widgets=[[cw.GraphWidget(title="Invocations", left=invocations),
                                               cw.GraphWidget(title="Input tokens", left=[tokens])]])
"""

from cdk.components.service_metrics.metrics import (
    APP_DIMENSION_SETS,
    ApiService,
    AppMetrics,
    BedrockModels,
    Guardrail,
    InferenceEndpoint,
    TrainingPipeline,
)

__all__ = [
    "APP_DIMENSION_SETS",
    "ApiService",
    "AppMetrics",
    "BedrockModels",
    "Guardrail",
    "InferenceEndpoint",
    "TrainingPipeline",
]
