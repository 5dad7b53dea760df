"""Running a construct's docstring ``Example::`` on a bare App with the AwsSolutions nag pack."""

from __future__ import annotations

import textwrap
from typing import Any


def synth_docstring_example(construct_class: type, monkeypatch: Any) -> Any:
    """Execute ``construct_class``'s example; return the ``Example`` stack's template. Synthesis raises
    on any unacknowledged AwsSolutions finding."""
    from aws_cdk import App, Validations
    from cdk_nag import AwsSolutionsChecks

    example = textwrap.dedent(construct_class.__doc__.split("Example::", 1)[1])
    created: list[App] = []

    class CheckedApp(App):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            Validations.of(self).add_plugins(AwsSolutionsChecks(self))
            created.append(self)

    monkeypatch.setattr("aws_cdk.App", CheckedApp)
    exec(compile(example, f"{construct_class.__name__} example", "exec"), {})  # noqa: S102 - our own docstring
    [app] = created
    return app.synth().get_stack_by_name("Example").template
