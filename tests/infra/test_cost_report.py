"""The cost report covers every synthesized resource type, and each environment's budget notifies its alarm topic."""

from __future__ import annotations

import re

from cdk.planning.environment_report import environment_report
from cdk.planning.resource_costs import Kind, classify
from tests.infra.synth import flat


def test_every_synthesized_resource_type_is_classified_for_the_cost_report(synthesized):
    """A new resource type must be classified in cdk/planning/resource_costs.py: priced, usage, free, or unpriced
    with a reason. Never silently zero."""
    unclassified = sorted({f"{resource['Type']} ({stack.environment}/{stack.construct_id})"
                           for stack in synthesized.stacks for resource in stack.resources.values()
                           if classify(resource["Type"]) is None})
    assert not unclassified, "classify these types in cdk/planning/resource_costs.py:\n" + "\n".join(unclassified)


def test_each_environment_has_a_fixed_cost_and_no_unpriced_resource(synthesized):
    for environment in synthesized.environments():
        templates = {s.stack_name: s.template for s in synthesized.stacks if s.environment == environment}
        report = environment_report(environment, "eu-west-1", templates, ["eu.anthropic.claude-haiku-4-5-20251001-v1:0"])
        assert report.fixed_total > 0
        assert not [line for line in report.lines if line.kind is Kind.UNPRICED], environment
        assert report.usage and all(row.total_usd for row in report.usage)


def test_each_environment_budget_filters_on_its_tag_and_notifies_the_alarm_topic(synthesized):
    for environment in synthesized.environments():
        alerting = synthesized.stack(environment, "Alerting")
        [budget] = alerting.resources_of_type("AWS::Budgets::Budget").values()
        data = budget["Properties"]["Budget"]
        assert (data["BudgetType"], data["TimeUnit"]) == ("COST", "MONTHLY")
        assert data["CostFilters"] == {"TagKeyValue": [f"user:environment${environment}"]}
        [topic_id] = alerting.resources_of_type("AWS::SNS::Topic")
        notifications = budget["Properties"]["NotificationsWithSubscribers"]
        assert {n["Notification"]["NotificationType"] for n in notifications} == {"FORECASTED", "ACTUAL"}
        assert all(n["Subscribers"] == [{"SubscriptionType": "SNS", "Address": {"Ref": topic_id}}]
                   for n in notifications)


def test_only_this_accounts_budgets_may_publish_to_the_alarm_topic_and_use_its_key(synthesized):
    for environment in synthesized.environments():
        alerting = synthesized.stack(environment, "Alerting")
        policies = [flat(r["Properties"]) for r in alerting.resources_of_type("AWS::SNS::TopicPolicy").values()]
        keys = [flat(r["Properties"]["KeyPolicy"]) for r in alerting.resources_of_type("AWS::KMS::Key").values()]
        for statements in ([s for p in policies for s in p["PolicyDocument"]["Statement"]],
                           [s for k in keys for s in k["Statement"]]):
            [grant] = [s for s in statements if s.get("Principal") == {"Service": "budgets.amazonaws.com"}]
            # CDK writes the partition literally when the stack's region is known (eu-west-1 -> aws)
            assert grant["Condition"]["StringEquals"] == {"aws:SourceAccount": "${AWS::AccountId}"}
            assert re.fullmatch(r"arn:(aws|\$\{AWS::Partition\}):budgets::\$\{AWS::AccountId\}:\*",
                                grant["Condition"]["ArnLike"]["aws:SourceArn"])


def test_the_account_stack_is_reported_once_with_its_trail_as_the_free_first_copy(synthesized):
    [account] = synthesized.account_stacks()  # the shipped config: one account and region
    report = environment_report(account.environment, "eu-west-1", {account.stack_name: account.template}, [],
                                trail_first_copy=True)
    [trail] = [line for line in report.lines if line.resource_type == "AWS::CloudTrail::Trail"]
    assert trail.count == 1 and trail.monthly == 0 and "first copy" in trail.note
    assert not report.usage and not [line for line in report.lines if line.kind is Kind.UNPRICED]
    for environment in synthesized.environments():  # no environment carries a trail of its own any more
        stacks = [s for s in synthesized.stacks if s.environment == environment]
        assert not [r for s in stacks for r in s.resources.values() if r["Type"] == "AWS::CloudTrail::Trail"]
