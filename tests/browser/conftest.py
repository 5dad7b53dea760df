"""Browser tests of the playground: ``make playground``'s dev server and Debian's headless Chromium driven by
Playwright (PyPI), one server and one browser per session.

Fixtures and helpers for the tests in this folder (each test module is marked ``pytest.mark.browser`` and finds
elements by accessible role or label, never by CSS class):

* ``playground_url``: the dev server (``python -m playground_dev``) on a free loopback port, serving
  ``playground/dist/`` with AWS answered by the local fakes (playground_dev/local_aws.py: sample inputs that mask
  PII, get blocked or get throttled are constants there);
* ``browser``: Chromium at ``/usr/bin/chromium`` (Playwright's own browser download cannot work here; never run
  ``playwright install``); ``page``: a fresh context (no shared storage) and page at the server's URL, failing
  the test on any page error or CSP violation it logged;
* ``axe_violations(page)``: axe-core (npm, pinned in package.json) run in the page, violations of impact serious
  or critical; ``screenshot(page, name)``: <name>.png, into docs/screenshots/ for the README with
  ``PLAYGROUND_SCREENSHOTS=write`` (``make screenshots``).

A missing Chromium fails the session (CI installs it: .ci/run). Locally, ``PLAYGROUND_BROWSER_TESTS=skip`` skips
these tests instead, saying why; CI ignores it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from playground_dev.process import DevServer

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "playground" / "dist"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: axe-core's bundle: the repository's tooling packages first, then the app's own.
AXE_SOURCES = tuple(folder / "node_modules" / "axe-core" / "axe.min.js" for folder in (ROOT, ROOT / "playground"))
SKIP_VARIABLE = "PLAYGROUND_BROWSER_TESTS"
SCREENSHOTS_VARIABLE = "PLAYGROUND_SCREENSHOTS"
VIEWPORT = {"width": 1280, "height": 800}
#: What a test may wait for at most (Playwright's default is 30 s): the stub model answers within a second.
ACTION_TIMEOUT_MS = 10_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so the ``page`` fixture knows whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _unavailable(reason: str) -> None:
    if os.environ.get(SKIP_VARIABLE) == "skip" and not os.environ.get("CI"):
        pytest.skip(f"{reason}; skipped because {SKIP_VARIABLE}=skip")
    pytest.fail(f"{reason}. Install it (as root: apt-get install -y chromium; .ci/run does) or, locally only, "
                f"set {SKIP_VARIABLE}=skip", pytrace=False)


# --------------------------------------------------------------------------- the dev server
@pytest.fixture(scope="session")
def playground_dist() -> Path:
    if not (DIST / "index.html").is_file():
        pytest.fail(f"{DIST}/index.html is missing: build the app first (make setup)", pytrace=False)
    return DIST


@pytest.fixture(scope="session")
def dev_server(playground_dist: Path) -> Iterator[DevServer]:
    server = DevServer(playground_dist)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playground_url(dev_server: DevServer) -> str:
    return dev_server.url


# --------------------------------------------------------------------------- the browser
@pytest.fixture(scope="session")
def browser(dev_server: DevServer) -> Iterator[Any]:
    """Chromium, launched while the dev server (already started) boots."""
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Any, dev_server: DevServer, playground_url: str,
         tmp_path: Path) -> Iterator[Any]:
    """A page in a fresh context at the playground's base URL (``page.goto("/")``). Page errors (uncaught
    exceptions) and console messages reporting a CSP violation fail the test at its end. When the test fails,
    a screenshot of the page (in the test's tmp_path) and the server's last log lines are printed with it."""
    context = browser.new_context(base_url=playground_url, viewport=VIEWPORT, locale="en-US", reduced_motion="reduce")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text else None)
    try:
        yield page
        failed = getattr(request.node, "report_call", None)
        if failed is not None and failed.failed:
            page.screenshot(path=str(tmp_path / "failure.png"))
            print(f"screenshot: {tmp_path / 'failure.png'}\ndev server log (last lines):\n"
                  + "\n".join(dev_server.output().splitlines()[-20:]))
    finally:
        context.close()
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- helpers
def _axe_source() -> str:
    for path in AXE_SOURCES:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(f"axe-core is not installed ({' or '.join(map(str, AXE_SOURCES))}): run make setup")


@pytest.fixture(scope="session")
def axe_violations() -> Callable[..., list[dict[str, Any]]]:
    """``axe_violations(page, impacts=("serious", "critical"))``: axe-core's violations of those impacts on the
    page as it is now, each ``{"id", "impact", "help", "nodes": [target selectors]}``.

    The bundle is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
    govern (an injected <script> would be refused by script-src 'self', as it should)."""
    source = _axe_source()

    def run(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(source)
        result = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in result["violations"] if v["impact"] in impacts
        ]

    return run


@pytest.fixture(scope="session")
def screenshot(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any, str], Path]:
    """``screenshot(page, name)`` -> <name>.png of the viewport, as the README shows it: into docs/screenshots/ when
    ``PLAYGROUND_SCREENSHOTS=write`` (``make screenshots``), else into a temporary folder, so that a test run leaves
    the work tree clean (each run's pixels differ: request ids, latencies)."""
    folder = SCREENSHOTS if os.environ.get(SCREENSHOTS_VARIABLE) == "write" else tmp_path_factory.mktemp("screenshots")

    def take(page: Any, name: str) -> Path:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
            raise ValueError(f"screenshot name {name!r}: use lowercase letters, digits and dashes")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        return path

    return take
