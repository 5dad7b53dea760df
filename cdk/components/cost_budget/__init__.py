"""Monthly cost budget per environment. ``props`` is CDK-free (config imports it); the construct loads lazily."""

from cdk.components.cost_budget.props import BudgetProps, BudgetPropsError

__all__ = ["BudgetProps", "BudgetPropsError", "CostBudget"]


def __getattr__(name: str):
    if name == "CostBudget":
        from cdk.components.cost_budget.construct import CostBudget

        return CostBudget
    raise AttributeError(name)
