"""The widget on a shared computer (a library, a kiosk in borgerservice): the next person must not
see or continue the conversation of the one before. Headless Chromium against a gateway on loopback.
"""
from __future__ import annotations

import json
import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from bot.store import Message
from tests.browser.conftest import axe_violations, describe
from tests.browser.test_widget import open_widget_with_keyboard

STORAGE_KEY = "borgerhjaelp:{url}"


def chat(page, text: str) -> None:
    page.get_by_label("Skriv din besked").fill(text)
    page.keyboard.press("Enter")
    expect(page.locator(".bh-msg--bot", has_text=f"Du skrev: {text}")).to_be_visible()


def stored_state(page, url: str, storage: str) -> dict | None:
    raw = page.evaluate(f"key => window.{storage}.getItem(key)", STORAGE_KEY.format(url=url))
    return json.loads(raw) if raw else None


def with_idle_minutes(page, minutes: str) -> None:
    """The host page sets the idle time on the script tag (set as the tag is parsed, before it runs;
    a page fulfilled by the test instead would lose loopback access to the gateway's socket)."""
    page.add_init_script(
        "new MutationObserver(() => document.querySelectorAll('script[data-gateway]').forEach("
        f"s => s.setAttribute('data-idle-minutes', {minutes!r}))).observe(document, {{subtree: true, childList: true}});"
    )


def messages_in_database(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Message))


def test_the_conversation_is_kept_for_the_tab_only_never_in_local_storage(page, widget_gateway):
    url = widget_gateway.url
    # What an older widget left behind on this computer, with no end: removed, not resumed.
    page.add_init_script(
        f"window.localStorage.setItem({json.dumps(STORAGE_KEY.format(url=url))},"
        ' JSON.stringify({visitorId: "0123456789abcdef0123456789abcdef", conversationId: "x", open: true}))'
    )
    page.goto(url + "/")
    open_widget_with_keyboard(page)
    chat(page, "Hej fra den første")
    assert page.evaluate("() => window.localStorage.length") == 0
    assert stored_state(page, url, "sessionStorage")["conversationId"]

    page.reload()  # the same tab: the conversation is still there
    expect(page.locator(".bh-msg--citizen", has_text="Hej fra den første")).to_be_visible()

    other = page.context.new_page()  # a new tab on the same computer starts fresh
    other.goto(url + "/")
    other.get_by_role("button", name="Chat med os").click()
    expect(other.locator(".bh-msg--bot").first).to_contain_text("Jeg er en chatbot")
    expect(other.locator(".bh-msg--citizen")).to_have_count(0)


def test_after_the_idle_time_a_reload_starts_fresh_and_cannot_resume(page, widget_gateway):
    url = widget_gateway.url
    page.goto(url + "/")
    open_widget_with_keyboard(page)
    chat(page, "Min private besked")
    before = stored_state(page, url, "sessionStorage")
    # 31 minutes without anything from the citizen (the default idle time is 30).
    page.evaluate(
        "([key, ms]) => { const s = JSON.parse(sessionStorage.getItem(key)); s.activeAt -= ms;"
        " sessionStorage.setItem(key, JSON.stringify(s)); }",
        [STORAGE_KEY.format(url=url), 31 * 60 * 1000],
    )
    page.reload()
    expect(page.get_by_role("button", name="Chat med os")).to_be_visible()
    page.get_by_role("button", name="Chat med os").click()
    expect(page.locator(".bh-msg--bot").first).to_contain_text("Jeg er en chatbot")
    expect(page.locator(".bh-msg--citizen")).to_have_count(0)
    after = stored_state(page, url, "sessionStorage")
    assert after["visitorId"] != before["visitorId"]  # the gateway gives the old conversation only to its visitor id
    assert after.get("conversationId") != before["conversationId"]


def test_an_open_chat_left_alone_closes_and_forgets_after_the_hosts_idle_time(page, widget_gateway):
    url = widget_gateway.url
    with_idle_minutes(page, "0.25")  # 15 seconds, set by the host page
    page.goto(url + "/")
    open_widget_with_keyboard(page)
    chat(page, "Jeg går fra computeren nu")
    expect(page.locator(".bh-msg--citizen")).to_have_count(1)  # not yet
    expect(page.get_by_role("dialog")).to_be_hidden(timeout=30_000)
    expect(page.locator(".bh-msg")).to_have_count(0)
    expect(page.locator(".bh-announcer")).to_have_text(re.compile("ikke er skrevet i et stykke tid"))
    assert "Jeg går fra computeren nu" not in page.locator(".bh-root").inner_text()
    assert stored_state(page, url, "sessionStorage") is None
    assert messages_in_database(widget_gateway.db) > 0  # forgotten on this computer only


def test_end_conversation_asks_first_then_forgets_it_on_this_computer(page, widget_gateway):
    url = widget_gateway.url
    page.goto(url + "/")
    open_widget_with_keyboard(page)
    chat(page, "Mit telefonnummer er 20304050")

    end = page.get_by_role("button", name="Afslut samtale")
    for _ in range(10):  # keyboard only: Tab from the text box reaches it
        page.keyboard.press("Tab")
        if end.evaluate("node => node === document.activeElement"):
            break
    expect(end).to_be_focused()
    page.keyboard.press("Enter")
    question = page.get_by_role("group", name=re.compile("Vil du afslutte samtalen"))
    expect(question).to_be_visible()
    yes = question.get_by_role("button", name="Ja, afslut")
    expect(yes).to_be_focused()
    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.keyboard.press("Escape")  # changed her mind: nothing happens, focus goes back
    expect(question).to_be_hidden()
    expect(end).to_be_focused()
    expect(page.locator(".bh-msg--citizen")).to_have_count(1)

    end.click()
    question.get_by_role("button", name="Nej, fortsæt").click()
    expect(question).to_be_hidden()
    expect(end).to_be_focused()

    end.click()
    yes.click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("button", name="Chat med os")).to_be_focused()
    expect(page.locator(".bh-announcer")).to_have_text("Samtalen er afsluttet. Den er glemt på denne computer.")
    assert "20304050" not in page.content()
    assert stored_state(page, url, "sessionStorage") is None
    # Staff may still need it (a handoff, a booking): kept on the gateway until the retention purge.
    assert messages_in_database(widget_gateway.db) > 0

    page.reload()
    page.get_by_role("button", name="Chat med os").click()
    expect(page.locator(".bh-msg--bot").first).to_contain_text("Jeg er en chatbot")
    expect(page.locator(".bh-msg--citizen")).to_have_count(0)


def test_end_conversation_in_english(page, widget_gateway):
    def english_page(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace('<html lang="da">', '<html lang="en">'))

    page.route(widget_gateway.url + "/", english_page)
    page.goto(widget_gateway.url + "/")
    page.get_by_role("button", name="Chat with us").click()
    page.get_by_role("button", name="End conversation").click()
    question = page.get_by_role("group", name=re.compile("Do you want to end the conversation"))
    question.get_by_role("button", name="Yes, end it").click()
    expect(page.locator(".bh-announcer")).to_have_text("The conversation has ended. It is forgotten on this computer.")
