"""Typed metric sources: what CloudWatch records for each part of the application, in one place.

The dashboard and the alarms both read metrics from these objects, so a graph and the alarm on it can
never disagree about a namespace, a dimension or a statistic. Each source is a plain frozen dataclass
of names (strings or tokens), not a construct: build one from whatever another stack exposes.

Facts encoded here (checked against the AWS documentation and the CDK L2s that wrap them):

- ``AWS/Bedrock`` runtime metrics carry one dimension, ``ModelId``. A call through an application
  inference profile is recorded under the profile's id, so the Bedrock stack hands over the ids its
  profiles are recorded under (``metric_model_ids``), never a foundation-model id shared with other
  environments.
- ``AWS/Bedrock/Guardrails`` metrics carry ``GuardrailArn`` + ``GuardrailVersion`` (and, on other
  series, ``Operation``/``GuardrailContentSource``/``GuardrailPolicyType``).
- SageMaker endpoint invocation metrics are in ``AWS/SageMaker`` and instance metrics in
  ``/aws/sagemaker/Endpoints``, both with ``EndpointName`` + ``VariantName``. ``ModelLatency`` and
  ``OverheadLatency`` are in microseconds. Neither namespace publishes NeuronCore utilization, and there
  is no instance-count metric: one instance reports ``CPUUtilization`` once a minute, so its per-minute
  sample count is the number of instances reporting.
- The application's own metrics (Powertools EMF) carry ``environment`` and Powertools' ``service``
  besides their own dimensions; see :class:`AppMetrics` for the exact dimension sets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw

FIVE_MINUTES = Duration.minutes(5)


@dataclass(frozen=True)
class BedrockModels:
    """The Bedrock models of one environment: display label -> the ``ModelId`` dimension value."""

    model_ids: Mapping[str, str]

    NAMESPACE = "AWS/Bedrock"

    def metric(self, metric_name: str, label: str, *, statistic: str = "Sum",
               period: Duration = FIVE_MINUTES, display: str | None = None) -> cw.Metric:
        return cw.Metric(namespace=self.NAMESPACE, metric_name=metric_name,
                         dimensions_map={"ModelId": self.model_ids[label]}, statistic=statistic, period=period,
                         label=display or label)

    def per_model(self, metric_name: str, *, statistic: str = "Sum", period: Duration = FIVE_MINUTES,
                  suffix: str = "") -> list[cw.IMetric]:
        return [self.metric(metric_name, label, statistic=statistic, period=period, display=f"{label}{suffix}")
                for label in self.model_ids]


@dataclass(frozen=True)
class Guardrail:
    """One pinned guardrail version."""

    arn: str
    version: str

    NAMESPACE = "AWS/Bedrock/Guardrails"

    def metric(self, metric_name: str, *, statistic: str = "Sum", period: Duration = FIVE_MINUTES,
               label: str | None = None) -> cw.Metric:
        return cw.Metric(namespace=self.NAMESPACE, metric_name=metric_name,
                         dimensions_map={"GuardrailArn": self.arn, "GuardrailVersion": self.version},
                         statistic=statistic, period=period, label=label or metric_name)


@dataclass(frozen=True)
class InferenceEndpoint:
    """One SageMaker real-time endpoint variant."""

    endpoint_name: str
    variant_name: str

    INVOCATIONS = "AWS/SageMaker"
    INSTANCES = "/aws/sagemaker/Endpoints"

    def metric(self, namespace: str, metric_name: str, *, statistic: str = "Sum", period: Duration = FIVE_MINUTES,
               label: str | None = None) -> cw.Metric:
        return cw.Metric(namespace=namespace, metric_name=metric_name,
                         dimensions_map={"EndpointName": self.endpoint_name, "VariantName": self.variant_name},
                         statistic=statistic, period=period, label=label or metric_name)

    def invocation_metric(self, metric_name: str, **kwargs) -> cw.Metric:
        return self.metric(self.INVOCATIONS, metric_name, **kwargs)

    def instance_metric(self, metric_name: str, **kwargs) -> cw.Metric:
        return self.metric(self.INSTANCES, metric_name, **kwargs)


@dataclass(frozen=True)
class TrainingPipeline:
    """The Step Functions state machine that runs the Trainium training pipeline."""

    state_machine_arn: str

    NAMESPACE = "AWS/States"

    def metric(self, metric_name: str, *, statistic: str = "Sum", period: Duration = FIVE_MINUTES,
               label: str | None = None) -> cw.Metric:
        return cw.Metric(namespace=self.NAMESPACE, metric_name=metric_name,
                         dimensions_map={"StateMachineArn": self.state_machine_arn}, statistic=statistic,
                         period=period, label=label or metric_name)


@dataclass(frozen=True)
class ApiService:
    """The REST API stage and the Lambda function behind it."""

    api_name: str
    stage_name: str
    function_name: str

    def api_metric(self, metric_name: str, *, statistic: str = "Sum", period: Duration = FIVE_MINUTES,
                   label: str | None = None) -> cw.Metric:
        return cw.Metric(namespace="AWS/ApiGateway", metric_name=metric_name,
                         dimensions_map={"ApiName": self.api_name, "Stage": self.stage_name}, statistic=statistic,
                         period=period, label=label or metric_name)

    def function_metric(self, metric_name: str, *, statistic: str = "Sum", period: Duration = FIVE_MINUTES,
                        label: str | None = None) -> cw.Metric:
        return cw.Metric(namespace="AWS/Lambda", metric_name=metric_name,
                         dimensions_map={"FunctionName": self.function_name}, statistic=statistic, period=period,
                         label=label or metric_name)


@dataclass(frozen=True)
class AppMetrics:
    """The application's own metrics (Powertools EMF) in ``namespace``, for one ``environment``.

    Dimension sets, as the runtime code emits them (lambdas/orchestrator/orchestrator/observability.py and
    lambdas/orchestrator/safety/_metrics.py); Powertools adds ``service`` to every set.
    """

    namespace: str
    environment: str
    service: str = "orchestrator"
    dimension_sets: Mapping[str, Sequence[str]] = field(default_factory=lambda: dict(APP_DIMENSION_SETS))

    def environment_total(self, metric_name: str, *, statistic: str, period: Duration = FIVE_MINUTES,
                          label: str = "") -> cw.Metric:
        """The one series of a metric emitted under ``environment`` (and Powertools' ``service``) alone.

        Unlike :meth:`search`, a plain metric: alarms can read it (an alarm cannot use SEARCH).
        """
        if set(self.dimension_sets[metric_name]) != {"environment", "service"}:
            raise ValueError(f"{metric_name} is emitted per {self.dimension_sets[metric_name]}, not per environment")
        return cw.Metric(namespace=self.namespace, metric_name=metric_name, statistic=statistic, period=period,
                         label=label or None, dimensions_map={"environment": self.environment, "service": self.service})

    def search(self, metric_name: str, *, statistic: str, period: Duration = FIVE_MINUTES,
               label: str = "") -> cw.MathExpression:
        """Every series of ``metric_name`` in this environment, whatever its other dimension values.

        A SEARCH with the exact dimension schema, so a new use case, model, entity type or reason shows up
        without a deploy, and no other environment's series can match (``environment`` is an exact match).
        """
        schema = ",".join(_quote(part) for part in (self.namespace, *sorted(self.dimension_sets[metric_name])))
        expression = (f"SEARCH('{{{schema}}} MetricName=\"{metric_name}\" environment=\"{self.environment}\"', "
                      f"'{statistic}', {int(period.to_seconds())})")
        return cw.MathExpression(expression=expression, label=label, period=period)

    def insights_query(self, metric_name: str, *, function: str = "SUM") -> str:
        """A Metrics Insights query aggregating ``metric_name`` over every series of this environment."""
        schema = ", ".join(_insights_quote(part) for part in (self.namespace, *sorted(self.dimension_sets[metric_name])))
        # Not SQL: a Metrics Insights query built from names this app defines (no user input).
        return (f"SELECT {function}({_insights_quote(metric_name)}) FROM SCHEMA({schema}) "  # noqa: S608
                f"WHERE environment = '{self.environment}'")


# metric name -> the dimension names of its series (``service`` is added by Powertools).
APP_DIMENSION_SETS: Mapping[str, tuple[str, ...]] = {
    "Requests": ("environment", "service", "status_class"),
    "Tokens": ("environment", "service"),  # input + output of every model call: the daily budget's series
    "InputTokens": ("environment", "model", "service", "use_case"),
    "OutputTokens": ("environment", "model", "service", "use_case"),
    "ModelLatency": ("environment", "model", "service", "use_case"),
    "EstimatedCost": ("environment", "model", "service", "use_case"),
    "PiiEntitiesMasked": ("EntityType", "environment", "service"),
    "SafetyBlocked": ("Reason", "environment", "service"),
    "GuardrailInterventions": ("Source", "environment", "service"),
    "FilterErrors": ("Check", "ErrorKind", "environment", "service"),
    "FilterLatency": ("Check", "environment", "service"),
}


def _quote(name: str) -> str:
    """Quote a schema part for SEARCH when it holds anything but letters and digits."""
    return name if name.isalnum() else f'"{name}"'


def _insights_quote(name: str) -> str:
    """Metrics Insights takes bare identifiers of letters, digits and _; anything else is double-quoted."""
    return name if name.replace("_", "").isalnum() and not name[0].isdigit() else f'"{name}"'
