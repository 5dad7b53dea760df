"""The alerting stack warns when its alarm topic reaches no one and something still notifies it."""

from __future__ import annotations

import pytest

from cdk.config import load_app_config


def _warnings(environment: dict) -> list[str]:
    from aws_cdk import App

    from stacks.alerting_stack import NO_SUBSCRIBER_WARNING, AlertingStack

    config = load_app_config({"environments": {"dev": {"region": "eu-west-1", **environment}}}).environment("dev")
    stack = AlertingStack(App(), "Alerting", config=config)
    return [str(entry.data) for entry in stack.node.metadata if entry.type == "aws:cdk:warning"
            and NO_SUBSCRIBER_WARNING in str(entry.data)]


def test_a_budget_that_notifies_a_topic_nobody_subscribes_to_is_a_warning():
    """dev (removal_policy destroy) had a budget publishing its forecast and actual notifications to a topic with no
    subscriber, and nothing said so: the budget told no one."""
    [warning] = _warnings({"removal_policy": "destroy", "budget": {"monthly_usd": 150}})
    assert "environments.dev.observability" in warning and "budget" in warning


@pytest.mark.parametrize("environment", [
    {"removal_policy": "destroy", "budget": {"enabled": False}},
    {"removal_policy": "destroy", "observability": {"alarm_emails": ["ops@example.com"]}},
])
def test_no_warning_when_nothing_notifies_or_someone_listens(environment):
    assert _warnings(environment) == []
