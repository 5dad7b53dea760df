"""One environment's report: the custom metrics the orchestrator publishes are a fixed monthly charge too."""

from __future__ import annotations

import pytest

from cdk.planning.environment_report import CUSTOM_METRICS, environment_report
from cdk.planning.resource_costs import Kind

TEMPLATES = {"genai-dev-api": {"Resources": {
    "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
    "Orchestrator": {"Type": "AWS::Lambda::Function", "Properties": {"MemorySize": 1024, "Architectures": ["arm64"]}},
}}}
MODELS = ["eu.anthropic.claude-haiku-4-5-20251001-v1:0", "eu.amazon.nova-lite-v1:0"]


def test_the_orchestrators_emf_series_are_priced_per_metric_month():
    """Each model call writes InputTokens, OutputTokens, ModelLatency and EstimatedCost per (model, use case) and
    CloudWatch bills every such series as a custom metric ($0.30 a month): left out, the dev report said 15 USD a
    month for an environment whose metrics alone cost about 35."""
    report = environment_report("dev", "eu-west-1", TEMPLATES, MODELS)
    [line] = [line for line in report.lines if line.resource_type == CUSTOM_METRICS]
    pairs = len(report.usage)  # (use case, model) pairs the API can serve
    assert line.kind is Kind.PRICED and line.count == 4 * pairs + 7
    assert line.monthly == pytest.approx(line.count * 0.30)
    assert line in report.fixed and report.fixed_total >= line.monthly


def test_an_environment_without_the_api_publishes_none():
    report = environment_report("account", "eu-west-1", {"account": {"Resources": {}}}, [])
    assert not [line for line in report.lines if line.resource_type == CUSTOM_METRICS]
