"""The cost budget component's docstring example runs on a bare stack with zero AwsSolutions findings."""

from __future__ import annotations

import textwrap

from cdk.components.cost_budget.construct import CostBudget


def test_the_docstring_example_synthesizes_with_no_nag_findings(monkeypatch):
    from aws_cdk import App, Validations
    from cdk_nag import AwsSolutionsChecks

    example = textwrap.dedent(CostBudget.__doc__.split("Example::", 1)[1])
    created: list[App] = []

    class CheckedApp(App):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            Validations.of(self).add_plugins(AwsSolutionsChecks(self))
            created.append(self)

    monkeypatch.setattr("aws_cdk.App", CheckedApp)
    namespace: dict = {}
    exec(compile(example, "CostBudget example", "exec"), namespace)  # noqa: S102 - our own docstring
    [app] = created
    assembly = app.synth()  # raises on an unacknowledged finding
    resources = assembly.get_stack_by_name("Example").template["Resources"].values()
    assert [r["Type"] for r in resources].count("AWS::Budgets::Budget") == 1
