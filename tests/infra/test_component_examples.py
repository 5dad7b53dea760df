"""Every component's docstring ``Example::`` runs as written, passes the AwsSolutions pack, and is in its README.

Examples are self-contained (they create ``app = App()`` and ``stack = Stack(app, "Example")``), so an example
that rots, or a component that needs its host stack to acknowledge a finding for it, fails here.
"""

from __future__ import annotations

import ast
import importlib
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.infra.synth import ROOT

COMPONENTS = ROOT / "cdk" / "components"


@dataclass(frozen=True)
class Example:
    component: str
    owner: str  # module.Class
    code: str

    @property
    def id(self) -> str:
        return f"{self.component}:{self.owner.rsplit('.', 1)[-1]}"


def _examples_in(path: Path) -> list[tuple[str, str]]:
    """(owner, code) for each ``Example::`` block in a class docstring, or in the module docstring of a component
    that is a set of helpers rather than a construct class."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef | ast.Module):
            doc = ast.get_docstring(node) or ""
            if "Example::" in doc:
                block = doc.split("Example::", 1)[1]
                found.append((getattr(node, "name", "module"), textwrap.dedent(block.strip("\n")).strip()))
    return found


def discover() -> list[Example]:
    examples = []
    for folder in sorted(p for p in COMPONENTS.iterdir() if (p / "__init__.py").is_file()):
        for module in sorted(folder.glob("*.py")):
            for owner, code in _examples_in(module):
                examples.append(Example(folder.name, f"{module.stem}.{owner}", code))
    return examples


EXAMPLES = discover()


def _findings(outdir: str) -> list[str]:
    report = Path(outdir) / "validation-report.json"
    if not report.is_file():
        return []
    return [
        f"{violation['ruleName']} at {construct['constructPath']}"
        for plugin in json.loads(report.read_text()).get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]


def test_every_component_has_an_example_and_a_readme():
    components = sorted(p.name for p in COMPONENTS.iterdir() if (p / "__init__.py").is_file())
    with_examples = {example.component for example in EXAMPLES}
    missing = [name for name in components if name not in with_examples]
    assert not missing, f"components without a docstring Example:: block: {missing}"
    no_readme = [name for name in components if not (COMPONENTS / name / "README.md").is_file()]
    assert not no_readme, f"components without README.md: {no_readme}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.id)
def test_example_synthesizes_without_unacknowledged_findings(example: Example, tmp_path, monkeypatch):
    assert 'app = App()' in example.code and 'stack = Stack(app, "Example")' in example.code, example.code
    readme = COMPONENTS / example.component / "README.md"
    assert readme.is_file() and example.code in readme.read_text(), f"{readme} does not contain the example"

    from aws_cdk import App

    from cdk.policy import apply_policy_gates

    # The example's own App() picks this output directory up; the AwsSolutions pack is attached before synth.
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path))
    importlib.import_module(f"cdk.components.{example.component}")
    namespace: dict[str, object] = {"__name__": f"example_{example.component}"}
    exec(compile(example.code, example.id, "exec"), namespace)  # noqa: S102 - our own docstring code
    app = namespace["app"]
    assert isinstance(app, App)
    apply_policy_gates(app, packs=["AwsSolutions"])
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # jsii surfaces policy failures as RuntimeError
        error = str(exc)
    findings = _findings(app.outdir)
    assert not findings, "unacknowledged AwsSolutions findings:\n" + "\n".join(findings)
    assert error is None, error


def test_no_component_imports_the_config_package():
    """Components take typed arguments (their props.py); the config readers build those, never the reverse."""
    offenders = [
        f"{module.relative_to(ROOT)}: {alias.name if isinstance(node, ast.Import) else node.module}"
        for module in COMPONENTS.rglob("*.py")
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [node])
        if (alias.name if isinstance(node, ast.Import) else (node.module or "")).startswith(("cdk.config", "stacks"))
    ]
    assert not offenders, offenders
