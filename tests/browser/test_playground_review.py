"""Defects found by the line-by-line review of the playground (issue 16), each pinned in the browser against the dev
server: keyboard focus kept where the user was, a Stop that says the answer is incomplete, and a Compare button that
matches the models chosen while a comparison ran. API answers the flow depends on are played by page routes."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_playground_flows import open_screen

pytestmark = pytest.mark.browser

CONVERSATIONS = re.compile(r"/v1/conversations(\?.*)?$")


def summary(n: int) -> dict:
    return {"conversation_id": f"00000000-0000-4000-8000-00000000000{n}", "title": f"Conversation number {n}",
            "model": "stub", "turns": 2, "updated_at": "2026-12-03T12:00:00Z"}


def test_more_conversations_moves_focus_to_the_first_new_entry(page) -> None:
    def pages(route) -> None:
        more = "next_token=" in route.request.url
        body = {"conversations": [summary(2)]} if more else {"conversations": [summary(1)], "next_token": "page-2"}
        route.fulfill(json={**body, "request_id": "req-list"})

    page.route(CONVERSATIONS, pages)
    screen = open_screen(page, "Chat")
    more = screen.get_by_role("button", name="More conversations")
    more.focus()
    page.keyboard.press("Enter")
    # The button the keyboard user pressed is gone: focus goes to what it brought, not back to the page's start.
    expect(screen.get_by_role("button", name="Conversation number 2", exact=True)).to_be_focused()


def test_compare_stays_disabled_when_the_models_changed_to_too_few_during_a_run(page) -> None:
    held = []
    page.route("**/v1/compare", lambda route: held.append(route))  # answered below, after the selection changed
    screen = open_screen(page, "Compare models")
    screen.get_by_label("Input", exact=True).fill("Summarize: the stack deploys per environment.")
    models = screen.get_by_role("group", name=re.compile(r"^Models")).get_by_role("checkbox")
    button = screen.get_by_role("button", name="Compare", exact=True)
    button.click()
    expect(button).to_be_disabled()
    models.nth(1).uncheck()  # one model left: too few to compare
    while not held:
        page.wait_for_timeout(20)
    names = [models.nth(0).get_attribute("value"), models.nth(1).get_attribute("value")]
    results = [{"model": name, "backend": "bedrock", "output": "ok", "latency_ms": 5,
                "usage": {"input_tokens": 1, "output_tokens": 1}, "estimated_cost_usd": 0} for name in names]
    held[0].fulfill(json={"results": results, "request_id": "req-compare"})
    screen.get_by_role("article").nth(1).wait_for()
    expect(button).to_be_disabled()
    expect(screen.get_by_text("1 selected (choose 2 to 4).")).to_be_visible()


def test_stop_says_the_answer_is_incomplete_and_returns_focus_to_generate(page) -> None:
    screen = open_screen(page, "Generate")
    screen.get_by_label("Input", exact=True).fill("How do I deploy the stack to a new environment? In detail.")
    # Stop as soon as the first text arrives (from the keyboard: the focused Stop button is activated).
    page.evaluate("""() => {
      const output = document.querySelector('[role=log][aria-label="Generated text"]');
      const form = document.querySelector('form[aria-label="Prompt"]');
      const stop = [...form.querySelectorAll('button')].find((b) => b.textContent === 'Stop');
      new MutationObserver((_, observer) => { observer.disconnect(); stop.focus(); stop.click(); })
        .observe(output, {childList: true, subtree: true, characterData: true});
    }""")
    screen.get_by_role("button", name="Generate").click()
    details = screen.get_by_label("Generation details")
    details.wait_for()
    assert re.search(r"Stopped\s*by you", details.inner_text()), details.inner_text()
    expect(screen.get_by_role("button", name="Generate")).to_be_focused()
    assert json.loads(page.evaluate("JSON.stringify(document.activeElement.textContent)")) == "Generate"


def test_a_default_off_the_inputs_step_never_blocks_generate(page) -> None:
    # The catalog may hold any default in 0..1 (cdk/config/prompt_catalog.py); a value off the input's step made the
    # browser refuse the form without a word when that field was hidden (a model without top-p, say).
    def use_cases(route) -> None:
        body = route.fetch().json()
        for case in body["use_cases"]:
            case["default_parameters"].update(temperature=0.33, top_p=0.93)
        route.fulfill(json=body)

    page.route("**/v1/use-cases", use_cases)
    screen = open_screen(page, "Generate")
    screen.get_by_label("Input", exact=True).fill("Summarize: the stack deploys per environment.")
    with page.expect_request(re.compile(r"/v1/generate/stream$")):
        screen.get_by_role("button", name="Generate").click()
    screen.get_by_label("Generation details").wait_for()


def test_a_message_typed_while_a_reply_streams_is_kept(page) -> None:
    screen = open_screen(page, "Chat")
    message = screen.get_by_label("Message")
    send = screen.get_by_role("button", name="Send")
    message.fill("Hello! What can you do?")
    send.click()
    expect(send).to_be_disabled()
    message.fill("And my next question")  # typed while the reply is still streaming
    expect(send).to_be_enabled()
    expect(message).to_have_value("And my next question")


def test_a_chat_reply_can_be_stopped_and_says_so(page) -> None:
    screen = open_screen(page, "Chat")
    screen.get_by_label("Message").fill("Tell me everything about streaming, in detail.")
    # Stop as soon as the reply's first text arrives (the focused Stop button activated, as from the keyboard).
    page.evaluate("""() => {
      const transcript = document.querySelector('[aria-label="Conversation"]');
      new MutationObserver((_, observer) => {
        const reply = transcript.querySelectorAll('li')[1];
        if (!reply || reply.textContent.length <= 'Assistant'.length) return;
        observer.disconnect();
        const form = document.querySelector('form[aria-label="New chat turn"]');
        const stop = [...form.querySelectorAll('button')].find((b) => b.textContent === 'Stop');
        stop.focus();
        stop.click();
      }).observe(transcript, {childList: true, subtree: true, characterData: true});
    }""")
    screen.get_by_role("button", name="Send").click()
    reply = screen.get_by_role("list", name="Conversation").get_by_role("listitem").nth(1)
    expect(reply).to_contain_text("Stopped")
    expect(screen.get_by_role("button", name="Send")).to_be_focused()
    expect(screen.get_by_label("Message")).to_have_value("Tell me everything about streaming, in detail.")


def test_the_skip_link_keeps_the_current_screen(page) -> None:
    screen = open_screen(page, "Chat")
    page.get_by_role("link", name="Skip to content").focus()  # the page's first stop for Tab
    page.keyboard.press("Enter")
    # #main is no screen's name: it must not send the user back to the first screen.
    expect(screen).to_be_visible()
    expect(page.get_by_role("region", name="Generate", exact=True)).to_be_hidden()
    assert page.evaluate("document.activeElement.id") == "main"


def test_back_to_the_address_without_a_fragment_shows_the_first_screen(page) -> None:
    open_screen(page, "Chat")
    page.go_back()
    expect(page.get_by_role("region", name="Generate", exact=True)).to_be_visible()
