"""Smoke test of the playground in a real browser: the built app loads from the dev server with the deployed
site's security headers, knows it runs locally, reaches the API on its own origin, and has no serious or critical
accessibility violations. The per-screen flows are in test_*flows*.py."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_the_app_loads_with_the_sites_security_headers_and_says_it_is_local(page) -> None:
    response = page.goto("/")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    banner = page.get_by_role("note").filter(has_text=re.compile(r"^\s*local\b"))
    banner.wait_for(state="visible")
    assert "AWS answered by fakes" in banner.inner_text()


def test_the_page_reaches_the_api_on_its_own_origin_as_the_stub_user(page) -> None:
    page.goto("/")
    config, use_cases = page.evaluate("""async () => {
        const config = await (await fetch('/config.json')).json();
        const response = await fetch(config.api_base + '/use-cases');
        return [config, {status: response.status, requestId: response.headers.get('x-amzn-RequestId'),
                         body: await response.json()}];
    }""")
    assert config == {"environment": "local", "local": True, "auth": {"mode": "stub"}, "api_base": "/v1"}
    assert use_cases["status"] == 200 and use_cases["body"]["request_id"] == use_cases["requestId"]
    assert {"summarize", "answer", "chat"} <= {case["id"] for case in use_cases["body"]["use_cases"]}


def test_the_first_screen_has_no_serious_or_critical_accessibility_violations(page, axe_violations, screenshot) -> None:
    page.goto("/")
    page.get_by_role("note").filter(has_text=re.compile(r"^\s*local\b")).wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []
    screenshot(page, "playground-start")
