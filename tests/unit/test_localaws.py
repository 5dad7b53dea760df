"""localaws/ is for local runs only: the runtime code under lambdas/ (what is deployed) never imports it, nor
the tests or the dev server; and its README's example works as written."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL_ONLY = {"localaws", "tests", "playground_dev"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_runtime_code_never_imports_the_local_fakes() -> None:
    sources = sorted((ROOT / "lambdas").rglob("*.py"))
    assert len(sources) > 50  # the scan sees the runtime packages
    offenders = {str(path.relative_to(ROOT)): sorted(_imported_roots(path) & LOCAL_ONLY) for path in sources}
    assert {path: roots for path, roots in offenders.items() if roots} == {}


def test_the_readme_example_answers_a_converse_call() -> None:
    example = re.search(r"\n((?:    .*\n|\n)+)", (ROOT / "localaws" / "README.md").read_text().split("| `streams.py`")[1])
    assert example is not None
    namespace: dict = {}
    exec(compile(re.sub(r"^    ", "", example.group(1), flags=re.MULTILINE), "localaws/README.md", "exec"), namespace)  # noqa: S102
    aws = namespace["aws"]
    assert aws.count("bedrock-runtime", "Converse") == 1
