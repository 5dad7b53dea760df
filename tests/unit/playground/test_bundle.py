"""The playground's built bundle (playground/dist, built by `make setup`): the JavaScript size budget of issue 16
and the page rules the site's strict Content-Security-Policy (default-src 'self', no 'unsafe-inline') relies on."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

PLAYGROUND = Path(__file__).resolve().parents[3] / "playground"
DIST = PLAYGROUND / "dist"
#: Issue 16: at most 250 KB of gzipped JavaScript in total.
JS_BUDGET_BYTES = 250 * 1000


@pytest.fixture(scope="module")
def dist() -> Path:
    if not (DIST / ".built").is_file():
        pytest.fail("playground/dist is not built: run `make setup` (it builds playground/dist/.built)")
    return DIST


def test_gzipped_javascript_fits_the_budget(dist: Path) -> None:
    scripts = sorted(dist.rglob("*.js"))
    assert scripts, "the build wrote no JavaScript"
    total = sum(len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in scripts)
    assert total <= JS_BUDGET_BYTES, f"{total} gzipped bytes of JavaScript > budget {JS_BUDGET_BYTES}"


def test_page_has_no_inline_script_or_style(dist: Path) -> None:
    html = (dist / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE)
    assert scripts and all(re.search(r"\bsrc=\"/[^/]", tag) for tag in scripts), scripts  # same-origin files only
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html, flags=re.IGNORECASE), "inline script"
    assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html, flags=re.IGNORECASE), "inline style or handler"
    assert not re.search(r"(src|href)=\"(https?:)?//", html, flags=re.IGNORECASE), "a third-party origin"


def test_sources_never_parse_strings_as_html_or_code() -> None:
    """API data (model output, documents, messages) is rendered as text: no HTML or code from strings."""
    forbidden = re.compile(r"\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
    sources = sorted((PLAYGROUND / "src").rglob("*.ts"))
    assert sources
    offenders = [f"{path.relative_to(PLAYGROUND)}:{n}" for path in sources
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if forbidden.search(line)]
    assert not offenders, offenders
