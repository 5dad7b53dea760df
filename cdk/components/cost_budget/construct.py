"""A monthly AWS Budget on one environment's cost-allocation tag, notifying the environment's alarm topic."""

from __future__ import annotations

from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk.components.cost_budget.props import BudgetProps


class CostBudget(Construct):
    """``AWS::Budgets::Budget`` (monthly, COST, filtered on ``user:<tag_key>$<tag_value>``) whose FORECASTED and
    ACTUAL percentage notifications publish to ``topic``.

    aws-cdk-lib has no Budgets L2, hence ``CfnBudget``. The topic must let budgets.amazonaws.com publish (and use its
    key): an :class:`~cdk.components.alarm_topic.AlarmTopic` does with the ``BUDGETS`` publisher, scoped to this
    account's budgets by ``aws:SourceAccount`` and ``aws:SourceArn`` ``arn:<partition>:budgets::<account>:*`` (AWS
    Cost Management user guide, "Creating an Amazon SNS topic for budget notifications",
    docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html, read 2026-12-03: the topic must be in
    the budget's account). ``TagKeyValue`` ``user:<key>$<value>`` is the Budgets cost-filter form for a user-defined
    cost-allocation tag (CfnBudget ``CostFilters``; the ``$`` separator is the one public Terraform budgets use; no
    AWS page with it was reachable from here). The tag must be activated once as a cost allocation tag in the Billing
    console, or the budget sees no cost.

    Example::

        from aws_cdk import App, Stack

        from cdk.components.alarm_topic import BUDGETS, CLOUDWATCH_ALARMS, AlarmTopic
        from cdk.components.cost_budget import BudgetProps, CostBudget

        app = App()
        stack = Stack(app, "Example")
        alarms = AlarmTopic(stack, "Alarms", emails=["oncall@example.com"], publishers=[CLOUDWATCH_ALARMS, BUDGETS])
        CostBudget(stack, "Budget", topic=alarms.topic,
                   props=BudgetProps(monthly_usd=500, tag_value="dev", forecast_thresholds_percent=(100,),
                                     actual_thresholds_percent=(80, 100)))
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: BudgetProps, topic: sns.ITopic) -> None:
        super().__init__(scope, construct_id)
        subscriber = budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic.topic_arn)
        notifications = [
            budgets.CfnBudget.NotificationWithSubscribersProperty(
                notification=budgets.CfnBudget.NotificationProperty(
                    notification_type=kind, comparison_operator="GREATER_THAN", threshold=threshold,
                    threshold_type="PERCENTAGE"),
                subscribers=[subscriber],
            )
            for kind, thresholds in (("FORECASTED", props.forecast_thresholds_percent),
                                     ("ACTUAL", props.actual_thresholds_percent))
            for threshold in thresholds
        ]
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=props.monthly_usd, unit="USD"),
                cost_filters={"TagKeyValue": [props.cost_filter]},
            ),
            notifications_with_subscribers=notifications,
        )
