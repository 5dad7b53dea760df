"""Each playground screen's main flow in headless Chromium against `make playground`'s dev server (AWS answered by
the local fakes of playground_dev/local_aws.py): streamed text arrives in pieces, compare shows one column per
model, moderation marks PII and toxicity, errors show their request id, everything works from the keyboard, and
axe-core finds no serious or critical violation. The screenshots the README shows are taken here."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from playground_dev.local_aws import SAMPLE_PII, SAMPLE_TOXIC, THROTTLE_MARKER

pytestmark = pytest.mark.browser

QUESTION = "How do I deploy the stack to a new environment? Which command runs the tests?"
#: A 2x2 PNG (the stub model accepts any image the API validates).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)
#: Records each change of the output's text while a stream is open (length and whether the request was still busy).
WATCH_OUTPUT = """() => {
  const output = document.querySelector('[role=log][aria-label="Generated text"]');
  window.__growth = [];
  new MutationObserver(() => window.__growth.push({
    length: output.textContent.length,
    busy: output.closest('form').querySelector('button[type=submit]').disabled,
  })).observe(output, {childList: true, subtree: true, characterData: true});
}"""


def open_screen(page, name: str):
    """Goes to the screen through its navigation link; the screen's region (hidden screens stay in the page)."""
    page.goto("/")
    page.get_by_role("link", name=name).click()
    page.get_by_role("heading", level=2, name=name).wait_for()
    return page.get_by_role("region", name=name, exact=True)


def test_generate_streams_the_answer_in_pieces(page, axe_violations, screenshot) -> None:
    screen = open_screen(page, "Generate")
    screen.get_by_label("Input", exact=True).fill(QUESTION)
    page.evaluate(WATCH_OUTPUT)
    screen.get_by_role("button", name="Generate").click()
    details = screen.get_by_label("Generation details")
    details.wait_for()

    growth = page.evaluate("window.__growth")
    lengths = [step["length"] for step in growth]
    assert len(lengths) >= 3 and lengths == sorted(lengths) and lengths[0] < lengths[-1], growth
    assert growth[0]["busy"], "the first text arrived only after the stream ended"
    assert screen.get_by_role("log", name="Generated text").inner_text().strip()
    assert re.search(r"Request id\s*[0-9a-f-]{36}", details.inner_text())
    assert axe_violations(page) == []
    readme_screenshot(page, screenshot, "playground-generate")


def test_a_grounded_answer_shows_its_citations(page) -> None:
    screen = open_screen(page, "Generate")
    screen.get_by_label("Use case").select_option("answer")
    screen.get_by_label("Input", exact=True).fill(QUESTION)
    screen.get_by_role("button", name="Generate").click()
    citations = screen.get_by_role("region", name="Citations")
    citations.wait_for()
    assert citations.get_by_role("listitem").count() >= 1 and "s3://" in citations.inner_text()
    assert re.search(r"\[1\]", screen.get_by_role("log", name="Generated text").inner_text())


def test_prompt_preview_shows_the_masked_prompt_without_a_model_call(page) -> None:
    screen = open_screen(page, "Generate")
    screen.get_by_label("Input", exact=True).fill(SAMPLE_PII)
    screen.get_by_text("Instructions: tone").click()  # the <details> that holds them
    screen.get_by_label("Tone").fill("friendly")
    screen.get_by_role("button", name="Add example").click()
    screen.get_by_label("Example 1 input").fill("The meeting moved to Monday.")
    screen.get_by_label("Example 1 output").fill("Meeting: Monday.")
    screen.get_by_role("button", name="Preview prompt").click()
    preview = screen.get_by_role("region", name="Prompt preview")
    preview.get_by_role("heading", name="Prompt preview").wait_for()
    text = preview.inner_text()
    assert "ann.lee@example.com" not in text and "The meeting moved to Monday." in text
    assert re.search(r"Estimated input tokens\s*\d+", text)


def test_compare_shows_one_column_per_model(page, axe_violations, screenshot) -> None:
    screen = open_screen(page, "Compare models")
    screen.get_by_label("Input", exact=True).fill("Summarize: the stack deploys per environment from cdk.json.")
    models = screen.get_by_role("group", name=re.compile(r"^Models")).get_by_role("checkbox")
    names = [models.nth(i).get_attribute("value") for i in range(3)]
    models.nth(2).check()
    screen.get_by_role("button", name="Compare", exact=True).click()
    columns = screen.get_by_role("article")
    columns.nth(2).wait_for()
    assert columns.count() == 3
    for index, name in enumerate(names):
        column = columns.nth(index)
        assert column.get_by_role("heading").inner_text() == name
        figures = column.inner_text()
        assert re.search(r"Latency\s*\d+ ms", figures) and re.search(r"Tokens\s*\d+ in, \d+ out", figures)
        assert re.search(r"Estimated cost\s*\$", figures)
    assert axe_violations(page) == []
    readme_screenshot(page, screenshot, "playground-compare")


def test_chat_streams_replies_and_keeps_the_history(page, axe_violations, screenshot) -> None:
    screen = open_screen(page, "Chat")
    transcript = screen.get_by_role("list", name="Conversation")
    send = screen.get_by_role("button", name="Send")
    for n, message in enumerate(("Hello! What can you do?", "Tell me more about streaming."), start=1):
        screen.get_by_label("Message").fill(message)
        send.click()
        expect(transcript.get_by_role("listitem")).to_have_count(2 * n)
        expect(send).to_be_enabled()
    turns = transcript.get_by_role("listitem")
    assert "Tell me more about streaming." in turns.nth(2).inner_text() and turns.nth(3).inner_text().strip()
    assert re.search(r"Conversation [0-9a-f-]{36}\.", screen.inner_text())
    assert axe_violations(page) == []
    readme_screenshot(page, screenshot, "playground-chat")


def test_conversations_are_listed_resumed_and_deleted(page) -> None:
    screen = open_screen(page, "Chat")
    transcript = screen.get_by_role("list", name="Conversation")
    send = screen.get_by_role("button", name="Send")
    screen.get_by_label("Message").fill("Remember the launch checklist, please.")
    send.click()
    expect(transcript.get_by_role("listitem")).to_have_count(2)
    conversations = screen.get_by_role("region", name="Conversations")
    entry = conversations.get_by_role("button", name="Remember the launch checklist, please.", exact=True)
    expect(entry).to_be_visible()

    screen.get_by_role("button", name="New conversation").click()
    expect(transcript.get_by_role("listitem")).to_have_count(0)
    entry.click()  # resume: the stored turns come back
    expect(transcript.get_by_role("listitem")).to_have_count(2)
    assert "launch checklist" in transcript.inner_text()
    conversations.get_by_role("button", name="Delete conversation: Remember the launch checklist, please.").click()
    expect(entry).to_have_count(0)
    expect(transcript.get_by_role("listitem")).to_have_count(0)


def test_moderation_marks_pii_types_and_toxicity_labels(page, axe_violations, screenshot) -> None:
    screen = open_screen(page, "Moderate")
    screen.get_by_label("Text to screen").fill(f"{SAMPLE_PII} {SAMPLE_TOXIC}")
    screen.get_by_role("button", name="Screen text").click()
    result = screen.get_by_role("region", name="Moderation result")
    result.get_by_role("heading", name=re.compile("^Verdict")).wait_for()
    assert "blocked" in result.get_by_role("heading", name=re.compile("^Verdict")).inner_text()
    marks = result.locator("mark")
    marked = [marks.nth(i).inner_text() for i in range(marks.count())]
    assert any("ann.lee@example.com" in text and "EMAIL" in text for text in marked), marked
    assert any("PHONE" in text for text in marked), marked
    labels = result.get_by_role("table")
    assert labels.get_by_role("row", name=re.compile(r"INSULT\s+0\.96")).count() == 1
    assert axe_violations(page) == []
    readme_screenshot(page, screenshot, "playground-moderate")


def test_sketch_use_case_sends_an_uploaded_image(page) -> None:
    screen = open_screen(page, "Generate")
    screen.get_by_label("Use case").select_option("sketch_reasoning")
    image = {"name": "sketch.png", "mimeType": "image/png", "buffer": PNG}
    screen.get_by_label(re.compile(r"^Image")).set_input_files(files=[image])
    screen.get_by_label("Input", exact=True).fill("What does this sketch show?")
    with page.expect_request(re.compile(r"/v1/generate/stream$")) as sent:
        screen.get_by_role("button", name="Generate").click()
    assert sent.value.post_data_json["image"] == {"format": "png", "data": base64.b64encode(PNG).decode()}
    screen.get_by_label("Generation details").wait_for()


def test_errors_show_the_message_request_id_and_retry_after(page) -> None:
    screen = open_screen(page, "Generate")
    screen.get_by_label("Input", exact=True).fill(f"Summarize this {THROTTLE_MARKER}")
    screen.get_by_role("button", name="Generate").click()
    alert = screen.get_by_role("alert")
    alert.wait_for()
    text = alert.inner_text()
    assert "429" in text and re.search(r"Try again in \d+ s", text), text
    assert re.search(r"Request id:\s*[0-9a-f-]{36}", text), text


def test_a_401_offers_sign_in_and_shows_the_request_id(page) -> None:
    page.route("**/v1/models", lambda route: route.fulfill(
        status=401, content_type="application/json",
        body='{"error": {"code": "unauthorized", "message": "sign in first"}, "request_id": "req-401"}'))
    page.goto("/")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "sign in first" in alert.inner_text() and "req-401" in alert.inner_text()
    assert "Sign-in is required" in alert.inner_text()  # the local stub has no sign-in page to go to


def test_keyboard_only_generate(page) -> None:
    page.goto("/")
    page.get_by_role("heading", level=2, name="Generate").wait_for()
    assert tab_to(page, "Input") == "TEXTAREA"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused control shows no focus outline"
    page.keyboard.type("Summarize: keyboard users can do everything.")
    assert tab_to(page, "Generate") == "BUTTON"
    page.keyboard.press("Enter")
    page.get_by_label("Generation details").wait_for()
    assert tab_to(page, "Moderate") == "A"
    page.keyboard.press("Enter")
    heading = page.get_by_role("heading", level=2, name="Moderate")
    heading.wait_for()
    assert page.evaluate("document.activeElement.textContent") == "Moderate"  # focus moved to the screen's heading


def readme_screenshot(page, screenshot, name: str, max_height: int = 1300) -> None:
    """The whole screen up to ``max_height`` px (results included), from the top of the page."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(height, max_height)})
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def tab_to(page, name: str, limit: int = 60) -> str:
    """Presses Tab until the focused element's accessible name is ``name``; its tag name."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => {
            const el = document.activeElement;
            const label = el.labels && el.labels[0] ? el.labels[0].textContent : el.textContent;
            return [el.tagName, (el.getAttribute('aria-label') || label || '').trim()];
        }""")
        if focused[1] == name:
            return focused[0]
    raise AssertionError(f"{name!r} is not reachable with Tab")


def test_cognito_sign_in_with_pkce_then_the_api_gets_the_id_token(browser, playground_url) -> None:
    """Mode cognito end to end, the hosted UI and its token endpoint played by routes: a 401 offers sign-in, the
    authorize request carries an S256 challenge, the token request the matching verifier, and every API request
    afterwards the ID token (the dev server's own CSP allows no third-party origin, hence bypass_csp)."""
    hosted_ui = "https://auth.example.test"
    claims = base64.urlsafe_b64encode(json.dumps({"email": "ann@example.com"}).encode()).decode().rstrip("=")
    id_token = f"e30.{claims}.c2ln"
    seen: dict[str, str] = {}
    context = browser.new_context(base_url=playground_url, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    config = {"environment": "test", "local": False, "api_base": "/v1",
              "auth": {"mode": "cognito", "hosted_ui_domain": "auth.example.test", "user_pool_client_id": "client-1",
                       "redirect_uri": playground_url, "region": "eu-west-1", "scopes": ["openid", "email"]}}
    page.route("**/config.json", lambda route: route.fulfill(json=config))

    def authorize(route) -> None:
        query = parse_qs(urlsplit(route.request.url).query)
        seen["challenge"] = query["code_challenge"][0]
        assert query["code_challenge_method"] == ["S256"] and query["client_id"] == ["client-1"]
        location = f"{playground_url}?code=the-code&state={query['state'][0]}"
        route.fulfill(status=302, headers={"Location": location})

    def token(route) -> None:
        form = parse_qs(route.request.post_data)
        digest = hashlib.sha256(form["code_verifier"][0].encode()).digest()
        assert base64.urlsafe_b64encode(digest).decode().rstrip("=") == seen["challenge"]
        assert form["grant_type"] == ["authorization_code"] and form["code"] == ["the-code"]
        route.fulfill(json={"id_token": id_token, "access_token": "unused", "expires_in": 3600},
                      headers={"Access-Control-Allow-Origin": "*"})

    def api(route) -> None:
        if route.request.headers.get("authorization") != id_token:
            route.fulfill(status=401, json={"error": {"code": "unauthorized", "message": "Unauthorized"},
                                            "request_id": "req-unsigned"})
        else:
            route.continue_()

    page.route(f"{hosted_ui}/oauth2/authorize**", authorize)
    page.route(f"{hosted_ui}/oauth2/token", token)
    page.route("**/v1/**", api)
    try:
        page.goto("/")
        alert = page.get_by_role("alert")
        assert "req-unsigned" in alert.inner_text()
        alert.get_by_role("button", name="Sign in").click()
        page.get_by_text("Signed in as ann@example.com").wait_for()
        page.get_by_role("heading", level=2, name="Generate").wait_for()
        assert "code=" not in page.url  # the code is dropped from the address bar
        assert page.evaluate("Object.keys(localStorage).length") == 0  # tokens only in sessionStorage
    finally:
        context.close()
