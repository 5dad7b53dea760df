"""One CloudWatch dashboard per environment, read top to bottom by whoever is on call."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from constructs import Construct

from cdk.components.service_metrics import ApiService, AppMetrics, BedrockModels, Guardrail, InferenceEndpoint, TrainingPipeline

WIDTH = 24  # a dashboard row is 24 units wide

#: The application's own metrics (searched by dimension): (title, ((metric, statistic, label), ...), left axis, stacked).
APP_GRAPHS = (
    ("Tokens by use case and model", (("InputTokens", "Sum", "in"), ("OutputTokens", "Sum", "out")), "Tokens", True),
    ("Estimated cost by use case and model", (("EstimatedCost", "Sum", "USD"),), "USD", True),
    ("Model latency p99 by use case and model", (("ModelLatency", "p99", "p99"),), "ms", False),
    ("Requests by status class", (("Requests", "Sum", ""),), "Count", True),
    ("PII entities masked by type", (("PiiEntitiesMasked", "Sum", ""),), "Entities", True),
    ("Safety blocks by reason", (("SafetyBlocked", "Sum", ""), ("GuardrailInterventions", "Sum", "guardrail")), "Count",
     True),
    ("Safety filter errors by check", (("FilterErrors", "Sum", ""),), "Count", False),
    ("Safety filter latency p99 by check", (("FilterLatency", "p99", ""),), "ms", False),
)
GRAPH_HEIGHT = 6
FIVE_MINUTES = Duration.minutes(5)


class OpsDashboard(Construct):
    """Alarm status first, then one row per part of the application; a part that is absent is left out.

    Sections (each optional): API Gateway and Lambda, Bedrock models and guardrail, the application's own
    metrics (SEARCH expressions scoped to one environment, so new use cases and models appear without a
    deploy), the Inferentia endpoint, and the Trainium training pipeline.

    Example::

        from aws_cdk import App, Stack

        from cdk.components.ops_dashboard import OpsDashboard
        from cdk.components.service_metrics import ApiService, AppMetrics, BedrockModels

        app = App()
        stack = Stack(app, "Example")
        OpsDashboard(stack, "Dashboard", title="genai dev",
                     api=ApiService(api_name="genai-dev", stage_name="v1", function_name="fn"),
                     bedrock=BedrockModels({"nova-lite": "profile123"}),
                     app=AppMetrics(namespace="genai", environment="dev"))
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        title: str,
        dashboard_name: str | None = None,
        alarms: Sequence[cw.IAlarm] = (),
        api: ApiService | None = None,
        bedrock: BedrockModels | None = None,
        guardrail: Guardrail | None = None,
        app: AppMetrics | None = None,
        token_budget_alarm: cw.IAlarm | None = None,
        endpoint: InferenceEndpoint | None = None,
        pipeline: TrainingPipeline | None = None,
        period: Duration = FIVE_MINUTES,
    ) -> None:
        super().__init__(scope, construct_id)
        self.period = period
        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=dashboard_name,
                                      default_interval=Duration.hours(3))
        self._row(cw.TextWidget(markdown=_header(title), width=WIDTH, height=2))
        if alarms:
            self._row(cw.AlarmStatusWidget(title="Alarms (red first)", alarms=list(alarms), width=WIDTH,
                                           height=min(2 + (len(alarms) + 3) // 4, 8),
                                           sort_by=cw.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP))
        if api is not None:
            self._section("API Gateway and Lambda", "Client traffic, errors and the orchestrator function.",
                          self._api_widgets(api))
        if bedrock is not None or guardrail is not None:
            self._section("Amazon Bedrock", "Per model, as recorded for this environment's inference profiles.",
                          self._bedrock_widgets(bedrock, guardrail))
        if app is not None:
            self._section("Application", "The orchestrator's and the safety filters' own metrics, every use case "
                          "and model of this environment.", self._app_widgets(app, token_budget_alarm))
        if endpoint is not None:
            self._section("Inferentia endpoint", "SageMaker real-time endpoint (ModelLatency and OverheadLatency are "
                          "in microseconds).", self._endpoint_widgets(endpoint))
        if pipeline is not None:
            self._section("Trainium training pipeline", "Step Functions executions; execution time is the pipeline's "
                          "duration, which the training job dominates.", self._pipeline_widgets(pipeline))

    # layout -------------------------------------------------------------------------------------------

    def add_section(self, heading: str, note: str, widgets: Sequence[cw.IWidget]) -> None:
        """A section below the built-in ones, for a part whose metrics its own construct knows (knowledge bases)."""
        self._section(heading, note, list(widgets))

    def _row(self, *widgets: cw.IWidget) -> None:
        self.dashboard.add_widgets(*widgets)

    def _section(self, heading: str, note: str, widgets: list[cw.IWidget]) -> None:
        self._row(cw.TextWidget(markdown=f"## {heading}\n{note}", width=WIDTH, height=1,
                                background=cw.TextWidgetBackground.TRANSPARENT))
        for start in range(0, len(widgets), 4):
            self._row(*widgets[start:start + 4])

    def _graph(self, title: str, left: Sequence[cw.IMetric], *, right: Sequence[cw.IMetric] = (),
               left_label: str = "", right_label: str = "", width: int = 6, stacked: bool = False,
               annotations: Sequence[cw.HorizontalAnnotation] = ()) -> cw.GraphWidget:
        return cw.GraphWidget(
            title=title, left=list(left), right=list(right), width=width, height=GRAPH_HEIGHT, stacked=stacked,
            left_y_axis=cw.YAxisProps(label=left_label, show_units=False, min=0),
            right_y_axis=cw.YAxisProps(label=right_label, show_units=False, min=0) if right else None,
            left_annotations=list(annotations) or None, period=self.period,
        )

    # sections -----------------------------------------------------------------------------------------

    def _api_widgets(self, api: ApiService) -> list[cw.IWidget]:
        return [
            self._graph("API requests and errors", [
                api.api_metric("Count", label="Requests"),
                api.api_metric("4XXError", label="4XX"),
                api.api_metric("5XXError", label="5XX"),
            ], left_label="Count"),
            self._graph("API latency p99", [
                api.api_metric("Latency", statistic="p99", label="Latency p99"),
                api.api_metric("IntegrationLatency", statistic="p99", label="IntegrationLatency p99"),
            ], left_label="ms"),
            self._graph("Lambda errors and throttles", [
                api.function_metric("Errors"),
                api.function_metric("Throttles"),
            ], right=[api.function_metric("Invocations")], left_label="Count", right_label="Invocations"),
            self._graph("Lambda concurrency and duration p99", [
                api.function_metric("ConcurrentExecutions", statistic="Maximum", label="ConcurrentExecutions max"),
            ], right=[api.function_metric("Duration", statistic="p99", label="Duration p99")],
                left_label="Executions", right_label="ms"),
        ]

    def _bedrock_widgets(self, bedrock: BedrockModels | None, guardrail: Guardrail | None) -> list[cw.IWidget]:
        widgets: list[cw.IWidget] = []
        if bedrock is not None and bedrock.model_ids:
            widgets += [
                self._graph("Invocations by model", bedrock.per_model("Invocations"), left_label="Count"),
                self._graph("Invocation latency p50 / p99 by model", [
                    *bedrock.per_model("InvocationLatency", statistic="p50", suffix=" p50"),
                    *bedrock.per_model("InvocationLatency", statistic="p99", suffix=" p99"),
                ], left_label="ms"),
                self._graph("Tokens by model", [
                    *bedrock.per_model("InputTokenCount", suffix=" input"),
                    *bedrock.per_model("OutputTokenCount", suffix=" output"),
                ], left_label="Tokens"),
                self._graph("Throttles and errors by model", [
                    *bedrock.per_model("InvocationThrottles", suffix=" throttled"),
                    *bedrock.per_model("InvocationClientErrors", suffix=" client errors"),
                    *bedrock.per_model("InvocationServerErrors", suffix=" server errors"),
                ], left_label="Count"),
            ]
        if guardrail is not None:
            widgets.append(self._graph("Guardrail invocations and interventions", [
                guardrail.metric("Invocations"),
                guardrail.metric("InvocationsIntervened", label="Interventions"),
            ], right=[guardrail.metric("InvocationLatency", statistic="p99", label="Latency p99")],
                left_label="Count", right_label="ms"))
        return widgets

    def _app_widgets(self, app: AppMetrics, token_budget_alarm: cw.IAlarm | None) -> list[cw.IWidget]:
        period = self.period
        widgets: list[cw.IWidget] = [
            self._graph(title, [app.search(metric, statistic=statistic, period=period, label=label)
                                for metric, statistic, label in series], left_label=axis, stacked=stacked)
            for title, series, axis, stacked in APP_GRAPHS
        ]
        if token_budget_alarm is not None:
            widgets.append(cw.AlarmWidget(alarm=token_budget_alarm, title="Tokens today vs daily budget", width=6,
                                          height=GRAPH_HEIGHT, left_y_axis=cw.YAxisProps(min=0, show_units=False)))
        return widgets

    def _endpoint_widgets(self, endpoint: InferenceEndpoint) -> list[cw.IWidget]:
        latency = []
        for name in ("ModelLatency", "OverheadLatency"):
            for statistic in ("p50", "p99"):
                latency.append(endpoint.invocation_metric(name, statistic=statistic, label=f"{name} {statistic}"))
        return [
            self._graph("Endpoint invocations and errors", [
                endpoint.invocation_metric("Invocations"),
                endpoint.invocation_metric("Invocation4XXErrors", label="4XX"),
                endpoint.invocation_metric("Invocation5XXErrors", label="5XX"),
            ], left_label="Count"),
            self._graph("Endpoint latency p50 / p99", latency, left_label="microseconds"),
            self._graph("Instance utilization", [
                endpoint.instance_metric("CPUUtilization", statistic="Average"),
                endpoint.instance_metric("MemoryUtilization", statistic="Average"),
                endpoint.instance_metric("DiskUtilization", statistic="Average"),
            ], left_label="%"),
            self._graph("Instances reporting", [
                endpoint.instance_metric("CPUUtilization", statistic="SampleCount", period=Duration.minutes(1),
                                         label="Instances (CPUUtilization samples per minute)"),
            ], left_label="Instances"),
        ]

    def _pipeline_widgets(self, pipeline: TrainingPipeline) -> list[cw.IWidget]:
        return [
            self._graph("Pipeline executions", [
                pipeline.metric("ExecutionsStarted", label="Started"),
                pipeline.metric("ExecutionsSucceeded", label="Succeeded"),
                pipeline.metric("ExecutionsFailed", label="Failed"),
                pipeline.metric("ExecutionsTimedOut", label="Timed out"),
                pipeline.metric("ExecutionsAborted", label="Aborted"),
            ], left_label="Count", width=12),
            self._graph("Training pipeline duration", [
                pipeline.metric("ExecutionTime", statistic="p50", period=Duration.hours(1), label="p50"),
                pipeline.metric("ExecutionTime", statistic="Maximum", period=Duration.hours(1), label="max"),
            ], left_label="ms", width=12),
        ]


def _header(title: str) -> str:
    return (f"# {title}\n"
            "Alarms first (each alarm's description says what to do), then one row per part of the application. "
            "Counts are per 5 minutes unless a graph says otherwise.")
