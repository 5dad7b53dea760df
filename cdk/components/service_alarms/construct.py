"""The service alarms of one environment, each with a deliberate missing-data rule and a runbook line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from constructs import Construct

from cdk.components.service_alarms.props import ServiceAlarmThresholds
from cdk.components.service_metrics import ApiService, AppMetrics, BedrockModels, Guardrail, InferenceEndpoint

# CloudWatch metric math in an alarm may reference at most 10 metrics (hard limit).
MAX_ALARM_METRICS = 10


@dataclass(frozen=True)
class TokenBudget:
    """Tokens per day: the alarm sums ``metrics`` (each a daily Sum of tokens) and compares with ``tokens``."""

    tokens: int
    metrics: Sequence[cw.IMetric]
    source: str  # one line for the alarm description: where the counted tokens come from


class ServiceAlarms(Construct):
    """Alarms on the API, the function, Bedrock, the guardrail, the endpoint and the app's own metrics.

    Missing data is NOT_BREACHING throughout: every alarm here watches errors, throttles, latency or usage,
    and no data means no traffic in that period (the services publish nothing then), which is healthy.
    An outage that stops traffic altogether surfaces on the caller's side (API 5XX rate, Lambda errors).

    Every alarm notifies ``action`` on ALARM and on OK, so the on-call engineer also sees recovery.

    Example::

        from aws_cdk import App, RemovalPolicy, Stack

        from cdk.components.alarm_topic import AlarmTopic
        from cdk.components.service_alarms import ServiceAlarms, ServiceAlarmThresholds
        from cdk.components.service_metrics import ApiService

        app = App()
        stack = Stack(app, "Example")
        topic = AlarmTopic(stack, "Topic", removal_policy=RemovalPolicy.DESTROY)
        alarms = ServiceAlarms(stack, "Alarms", environment="dev", action=topic.alarm_action,
                               thresholds=ServiceAlarmThresholds(),
                               api=ApiService(api_name="genai-dev", stage_name="v1", function_name="fn"))
        every_alarm = alarms.alarms  # for an alarm status widget
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: str,
        action: cw.IAlarmAction,
        thresholds: ServiceAlarmThresholds,
        api: ApiService | None = None,
        bedrock: BedrockModels | None = None,
        guardrail: Guardrail | None = None,
        endpoint: InferenceEndpoint | None = None,
        app: AppMetrics | None = None,
        token_budget: TokenBudget | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.environment = environment
        self.thresholds = thresholds
        self.period = Duration.minutes(thresholds.period_minutes)
        self.action = action
        self.alarms: list[cw.Alarm] = []
        self.token_budget_alarm: cw.Alarm | None = None
        t = thresholds
        if api is not None:
            self._api(api, t)
        if bedrock is not None:
            for label in bedrock.model_ids:
                self._alarm(
                    f"BedrockThrottles{_id(label)}",
                    bedrock.metric("InvocationThrottles", label, period=self.period),
                    t.bedrock_throttle_count,
                    f"Bedrock is throttling model {label}: more than {t.bedrock_throttle_count} throttled calls per "
                    f"{_minutes(self.period)}. Users see 429s or slow answers. Check the model's on-demand quotas "
                    "(tokens and requests per minute) in Service Quotas and the orchestrator's retry rate; request a "
                    "quota increase, or switch the use case's default model in config.",
                )
        if guardrail is not None:
            self._guardrail(guardrail, t)
        if endpoint is not None:
            self._endpoint(endpoint, t)
        if app is not None:
            self._alarm(
                "FilterErrors",
                cw.MathExpression(expression=app.insights_query("FilterErrors"), period=self.period,
                                  label="Safety filter errors"),
                t.filter_error_count,
                f"The safety filters failed more than {t.filter_error_count} times per {_minutes(self.period)} "
                "(Comprehend or ApplyGuardrail errors or timeouts). Requests fail closed, so users get errors. "
                "Open the dashboard's 'Safety filter errors by check' graph for the failing check and error kind, "
                "then the Comprehend and Bedrock service health and the function's logs.",
            )
        if token_budget is not None:
            self._token_budget(token_budget)

    # sections -----------------------------------------------------------------------------------------

    def _api(self, api: ApiService, t: ServiceAlarmThresholds) -> None:
        rate = self._rate_percent("5XX rate (%)", t.rate_min_samples,
                                  of=("requests", api.api_metric("Count", period=self.period)),
                                  matching=("errors", api.api_metric("5XXError", period=self.period)))
        self._alarm(
            "Api5xxRate", rate, t.api_5xx_rate_percent,
            f"More than {t.api_5xx_rate_percent}% of API requests returned 5XX (in periods with at least "
            f"{t.rate_min_samples} requests). Check the Lambda errors and the Bedrock / endpoint graphs on the "
            "dashboard to find the failing dependency, then the function's logs by request id.",
        )
        self._alarm(
            "LambdaErrors", api.function_metric("Errors", period=self.period), t.lambda_error_count,
            f"The orchestrator function failed more than {t.lambda_error_count} invocations per "
            f"{_minutes(self.period)} (unhandled errors or timeouts). Read the function's logs for the error type; "
            "if a deploy just happened, roll it back.",
        )
        self._alarm(
            "LambdaThrottles", api.function_metric("Throttles", period=self.period), t.lambda_throttle_count,
            f"The orchestrator function was throttled more than {t.lambda_throttle_count} times per "
            f"{_minutes(self.period)}: it hit its reserved concurrency or the account's concurrency limit. Compare "
            "ConcurrentExecutions with the limit; raise reserved concurrency or the account quota, or find the "
            "traffic spike.",
        )

    def _guardrail(self, guardrail: Guardrail, t: ServiceAlarmThresholds) -> None:
        rate = self._rate_percent("Guardrail intervention rate (%)", t.rate_min_samples,
                                  of=("invocations", guardrail.metric("Invocations", period=self.period)),
                                  matching=("intervened", guardrail.metric("InvocationsIntervened", period=self.period)))
        self._alarm(
            "GuardrailInterventionSpike", rate, t.guardrail_intervention_rate_percent,
            f"The Bedrock guardrail intervened on more than {t.guardrail_intervention_rate_percent}% of checks "
            f"(periods with at least {t.rate_min_samples} checks). Either someone is probing the API (look for one "
            "caller in the API access logs and consider WAF rate limits) or a guardrail or prompt change made it "
            "too strict (compare with the last guardrail version and the 'Safety blocks by reason' graph).",
        )

    def _endpoint(self, endpoint: InferenceEndpoint, t: ServiceAlarmThresholds) -> None:
        self._alarm(
            "Endpoint5xx", endpoint.invocation_metric("Invocation5XXErrors", period=self.period), t.endpoint_5xx_count,
            f"The Inferentia endpoint returned more than {t.endpoint_5xx_count} 5XX errors per "
            f"{_minutes(self.period)}. Check the endpoint's container logs (/aws/sagemaker/Endpoints/...) and "
            "instance utilization; if a new model version was just deployed, the deployment's rollback alarms "
            "should already be rolling it back.",
        )
        self._alarm(
            "EndpointLatency",
            endpoint.invocation_metric("ModelLatency", statistic="p99", period=self.period, label="ModelLatency p99 (us)"),
            t.endpoint_latency_p99_ms * 1000,  # ModelLatency is in microseconds
            f"The Inferentia endpoint's p99 model latency is above {t.endpoint_latency_p99_ms} ms. Check "
            "instance utilization and instances reporting on the dashboard: scale out (raise the variant's "
            "instance count or the autoscaling maximum) or lower max_tokens for the endpoint's model.",
        )

    def _token_budget(self, budget: TokenBudget) -> None:
        if not 0 < len(budget.metrics) <= MAX_ALARM_METRICS:
            raise ValueError(f"a token budget alarm sums 1 to {MAX_ALARM_METRICS} metrics (CloudWatch's limit); "
                             f"got {len(budget.metrics)}")
        day = Duration.days(1)
        using = {f"t{index}": metric for index, metric in enumerate(budget.metrics)}
        total = cw.MathExpression(expression=" + ".join(f"FILL({name}, 0)" for name in using), using_metrics=using,
                                  period=day, label="Tokens per day")
        self.token_budget_alarm = self._alarm(
            "DailyTokenBudget", total, budget.tokens,
            f"More than {budget.tokens} tokens were used in one day ({budget.source}). Find the use case and "
            "model on the dashboard's 'Tokens by use case and model' graph; check for a runaway client or a "
            "retry loop, then raise observability.daily_token_budget only if the growth is expected.",
            evaluation_periods=1, datapoints_to_alarm=1,
        )

    # one alarm ----------------------------------------------------------------------------------------

    def _rate_percent(self, label: str, min_samples: int, *, of: tuple[str, cw.IMetric],
                      matching: tuple[str, cw.IMetric]) -> cw.MathExpression:
        """100 * matching / of, and 0 in periods with fewer than ``min_samples`` (a rate of a few is noise)."""
        (total, total_metric), (part, part_metric) = of, matching
        return cw.MathExpression(expression=f"IF({total} >= {min_samples}, 100 * {part} / {total}, 0)",
                                 using_metrics={total: total_metric, part: part_metric}, period=self.period,
                                 label=label)

    def _alarm(self, construct_id: str, metric: cw.IMetric, threshold: float, what_to_do: str, *,
               evaluation_periods: int | None = None, datapoints_to_alarm: int | None = None) -> cw.Alarm:
        alarm = cw.Alarm(
            self, construct_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=evaluation_periods or self.thresholds.evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm or self.thresholds.datapoints_to_alarm,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=f"[{self.environment}] {what_to_do}",
        )
        alarm.add_alarm_action(self.action)
        alarm.add_ok_action(self.action)
        self.alarms.append(alarm)
        return alarm


def _id(label: str) -> str:
    return "".join(part.capitalize() for part in "".join(c if c.isalnum() else " " for c in label).split())


def _minutes(period: Duration) -> str:
    minutes = int(period.to_minutes())
    return "minute" if minutes == 1 else f"{minutes} minutes"
