"""Typed metric sources shared by the operations dashboard and the service alarms.

Example (on a bare ``Stack``)::

    models = BedrockModels({"claude-haiku": "abc123profile"})
    invocations = models.per_model("Invocations")            # one cw.Metric per model, dimension ModelId
    app = AppMetrics(namespace="genai", environment="dev")
    tokens = app.search("InputTokens", statistic="Sum")       # SEARCH scoped to environment="dev"
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
