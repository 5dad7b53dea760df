"""The cost budget component's docstring example runs on a bare stack with zero AwsSolutions findings."""

from __future__ import annotations

from cdk.components.cost_budget.construct import CostBudget
from tests.unit.docstring_examples import synth_docstring_example


def test_the_docstring_example_synthesizes_with_no_nag_findings(monkeypatch):
    template = synth_docstring_example(CostBudget, monkeypatch)
    resources = template["Resources"].values()
    assert [r["Type"] for r in resources].count("AWS::Budgets::Budget") == 1
