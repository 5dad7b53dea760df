"""The gate's metric line: perplexity = exp(eval loss), overflow-safe, captured by the job's MetricDefinitions."""

from __future__ import annotations

import math
import re

import pytest

from training.neuron_finetune import metrics


def captured(line: str) -> dict[str, float]:
    """What SageMaker would put in FinalMetricDataList for this log line."""
    found = {}
    for name, regex in metrics.METRIC_DEFINITIONS:
        match = re.search(regex, line)
        if match:
            found[name] = float(match.group(1))
    return found


def test_perplexity_is_exp_of_the_loss():
    assert metrics.perplexity(0.0) == 1.0
    assert metrics.perplexity(math.log(12.5)) == pytest.approx(12.5)


def test_a_diverged_loss_caps_perplexity_instead_of_overflowing():
    assert metrics.perplexity(1e6) == pytest.approx(1.7976931348623157e308)
    assert math.isnan(metrics.perplexity(math.nan))


def test_the_metric_definitions_capture_the_line():
    line = metrics.metric_line(1.5)
    assert line == "gate metrics: eval_loss=1.5; perplexity=4.48169;"
    assert captured(f"2026-12-03 11:40:00 INFO neuron_finetune {line}") == {"eval_loss": 1.5, "perplexity": 4.48169}


def test_a_huge_perplexity_is_still_captured_as_a_number():
    assert captured(metrics.metric_line(1000.0))["perplexity"] == pytest.approx(1.79769e308)


@pytest.mark.parametrize("loss", [math.nan, math.inf])
def test_a_non_finite_loss_reports_no_metric_so_the_gate_fails_closed(loss):
    assert captured(metrics.metric_line(loss)) == {}


def test_definitions_fit_sagemaker_limits():
    # botocore sagemaker MetricDefinition: Name 1-255, Regex 1-500 characters.
    for name, regex in metrics.METRIC_DEFINITIONS:
        assert 1 <= len(name) <= 255 and 1 <= len(regex) <= 500
