"""The web widget in headless Chromium against a gateway on loopback (Rasa played by a fake).

The same steps against the real assistant are in test_full_stack.py.
"""
from __future__ import annotations

import re
import threading
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from bot.store import Message
from tests.browser.conftest import axe_violations, describe


def open_widget_with_keyboard(page) -> None:
    launcher = page.get_by_role("button", name="Chat med os")
    for _ in range(20):  # bounded: the launcher is among the first focusable things on the page
        page.keyboard.press("Tab")
        if launcher.evaluate("node => node === document.activeElement"):
            break
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name=re.compile("Chat med"))).to_be_visible()
    expect(page.get_by_label("Skriv din besked")).to_be_focused()


def citizen_texts(page) -> list[str]:
    return page.locator(".bh-msg--citizen .bh-text").all_inner_texts()


def stored_count(db, text: str) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Message).where(Message.text == text))


def test_keyboard_question_answer_quick_reply_and_reload(page, widget_gateway):
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    expect(page.locator(".bh-msg--bot").first).to_contain_text("Jeg er en chatbot")

    page.keyboard.type("Jeg har glemt min adgangskode til MitID")
    page.keyboard.press("Enter")
    expect(page.locator(".bh-msg--bot", has_text="Hjalp det?")).to_be_visible()
    link = page.get_by_role("link", name=re.compile("MitID.dk"))
    expect(link).to_have_attribute("href", "https://www.mitid.dk/")
    expect(link).to_have_attribute("rel", "noopener noreferrer")

    page.get_by_role("button", name="Ja").click()
    expect(page.locator(".bh-msg--bot", has_text="Godt!")).to_be_visible()
    expect(page.get_by_role("button", name="Nej")).to_have_count(0)  # answered choices go away

    before = page.locator(".bh-msg").all_inner_texts()
    page.reload()
    expect(page.locator(".bh-msg--bot", has_text="Godt!")).to_be_visible()
    assert page.locator(".bh-msg").all_inner_texts() == before


def test_lost_connection_nothing_lost_nothing_twice(page, widget_gateway):
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    page.keyboard.type("Første besked")
    page.keyboard.press("Enter")
    expect(page.locator(".bh-msg--bot", has_text="Du skrev: Første besked")).to_be_visible()

    with widget_gateway.restart():
        expect(page.locator(".bh-notice")).to_contain_text("Forbindelsen blev afbrudt")
        page.get_by_label("Skriv din besked").fill("Skrevet mens forbindelsen var væk")
        page.keyboard.press("Enter")
        expect(page.locator(".bh-msg--pending")).to_have_count(1)

    expect(page.locator(".bh-msg--bot", has_text="Du skrev: Skrevet mens forbindelsen var væk")).to_be_visible(
        timeout=30_000
    )
    expect(page.locator(".bh-msg--pending")).to_have_count(0)
    assert citizen_texts(page) == ["Første besked", "Skrevet mens forbindelsen var væk"]
    assert stored_count(widget_gateway.db, "Skrevet mens forbindelsen var væk") == 1
    ids = page.locator(".bh-msg[data-id]").evaluate_all("nodes => nodes.map(n => n.dataset.id)")
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("gateway_changes", [{"widget_idle_seconds": 1.0}])
def test_a_socket_closed_as_idle_connects_again_without_a_word_and_nothing_is_lost(page, widget_gateway):
    sockets: list = []
    page.on("websocket", lambda socket: sockets.append(socket))
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    page.keyboard.type("Første besked")
    page.keyboard.press("Enter")
    expect(page.locator(".bh-msg--bot", has_text="Du skrev: Første besked")).to_be_visible()

    page.wait_for_timeout(2500)  # the citizen reads: the gateway closes the quiet socket after 1 s
    assert len(sockets) >= 2, "the widget connected again after the idle close"
    expect(page.locator(".bh-notice")).to_have_text("")  # nothing went wrong, so nothing is said

    page.get_by_label("Skriv din besked").fill("Anden besked")
    page.keyboard.press("Enter")
    expect(page.locator(".bh-msg--bot", has_text="Du skrev: Anden besked")).to_be_visible()
    assert citizen_texts(page) == ["Første besked", "Anden besked"]
    assert stored_count(widget_gateway.db, "Anden besked") == 1


def test_cpr_number_never_reaches_the_page_or_the_database(page, widget_gateway):
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    page.keyboard.type("Mit CPR-nummer er 010190-1234")
    page.keyboard.press("Enter")
    expect(page.locator(".bh-msg--system")).to_contain_text("Jeg har fjernet dit CPR-nummer")
    expect(page.locator(".bh-msg--citizen")).to_have_text(re.compile(r"\[CPR-nummer fjernet\]"))
    assert "010190" not in page.content()
    with widget_gateway.db.session() as session:
        assert not any("010190" in text for text in session.scalars(select(Message.text)))


def test_markup_from_the_bot_is_shown_as_text_and_unsafe_links_are_not_links(page, widget_gateway):
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    page.keyboard.type('<img src=x onerror="window.hacked=1"> [klik](javascript:alert(1))')
    page.keyboard.press("Enter")
    echo = page.locator(".bh-msg--bot", has_text="Du skrev:")
    expect(echo).to_contain_text("<img src=x")
    assert page.evaluate("window.hacked") is None
    assert page.locator(".bh-root img").count() == 0
    assert page.locator('.bh-root a[href^="javascript"]').count() == 0


def test_delete_my_conversation_button(page, widget_gateway):
    widget_gateway.rasa.reply = lambda text: [  # type: ignore[method-assign]
        {"text": "Vi gemmer samtalen i 30 dage.", "buttons": [{"title": "Slet min samtale", "payload": "/delete_conversation"}]}
    ]
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    page.keyboard.type("Hvad gemmer I om mig?")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Slet min samtale").click()
    expect(page.locator(".bh-notice")).to_contain_text("Din samtale er slettet")
    expect(page.locator(".bh-msg")).to_have_count(0)
    with widget_gateway.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0


def test_buttons_of_a_greeting_that_arrives_after_the_citizen_wrote_are_gone(page, widget_gateway):
    """A slow greeting comes after the citizen's first message, and then the answer: only the
    answer's buttons apply."""
    answer = widget_gateway.rasa.reply

    def slow_greeting(text: str):
        if text == "/greet":
            time.sleep(1.5)  # the stand-in Rasa, on its own thread, is slow to greet
        return answer(text)

    widget_gateway.rasa.reply = slow_greeting  # type: ignore[method-assign]
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    page.keyboard.type("Hvad med MitID?")
    page.keyboard.press("Enter")
    expect(page.locator(".bh-msg--bot").filter(has_text="Hjalp det?")).to_have_count(1)
    expect(page.locator(".bh-msg--bot").first).to_contain_text("chatbot")
    expect(page.get_by_role("button", name="Digital Post")).to_have_count(0)
    expect(page.get_by_role("button", name="Ja")).to_have_count(1)


def test_larger_text_escape_and_small_phone(page, widget_gateway):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    box = page.locator(".bh-panel").bounding_box()
    assert box["width"] <= 360 and box["x"] >= 0
    size = page.get_by_role("button", name="Større tekst")
    before = page.locator(".bh-root").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")
    size.click()
    expect(size).to_have_attribute("aria-pressed", "true")
    assert page.locator(".bh-root").evaluate("n => parseFloat(getComputedStyle(n).fontSize)") > before
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("button", name="Chat med os")).to_be_focused()


def test_too_long_message_gets_a_clear_danish_message(page, widget_gateway):
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    page.get_by_label("Skriv din besked").fill("x" * 1001)
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("højst være 1000 tegn")
    expect(page.locator(".bh-msg--citizen")).to_have_count(0)


def test_the_open_widget_has_no_wcag_21_aa_violations(page, widget_gateway):
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    page.keyboard.type("Hvordan får jeg MitID?")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Ja")).to_be_visible()
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    page.get_by_role("button", name="Større tekst").click()
    violations = axe_violations(page, "body")
    assert violations == [], describe(violations)


def test_focus_goes_back_to_the_text_box_after_a_quick_reply_and_after_delete(page, widget_gateway):
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    page.keyboard.type("Hvad med MitID?")
    page.keyboard.press("Enter")
    yes = page.locator(".bh-choice", has_text="Ja")
    yes.focus()
    page.keyboard.press("Enter")  # the button group goes away with the answer
    expect(page.locator(".bh-msg--bot", has_text="Godt!")).to_be_visible()
    expect(page.locator(".bh-choice")).to_have_count(0)
    expect(page.get_by_label("Skriv din besked")).to_be_focused()

    widget_gateway.rasa.reply = lambda text: [  # type: ignore[method-assign]
        {"text": "Vi gemmer samtalen i 30 dage.", "buttons": [{"title": "Slet min samtale", "payload": "/delete_conversation"}]}
    ]
    page.keyboard.type("Hvad gemmer I om mig?")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Slet min samtale").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".bh-notice")).to_contain_text("Din samtale er slettet")
    expect(page.locator(".bh-msg")).to_have_count(0)
    expect(page.get_by_label("Skriv din besked")).to_be_focused()


# Records every text put into a live region of the widget, node by node, so a test sees what a
# screen reader is given even when the page changes it again a moment later.
RECORD_ANNOUNCEMENTS = """
  window.__announced = [];
  new MutationObserver(records => records.forEach(record => {
    const region = record.target.nodeType === 1 && record.target.closest('[aria-live]');
    if (!region || !region.closest('.bh-root') || region.classList.contains('bh-notice')) return;
    record.addedNodes.forEach(node => { if (node.textContent) window.__announced.push(node.textContent); });
    if (record.type === 'characterData' && record.target.textContent) window.__announced.push(record.target.textContent);
  })).observe(document, {subtree: true, childList: true, characterData: true});
"""


def announced(page) -> list[str]:
    return page.evaluate("window.__announced")


def test_screen_readers_hear_each_answer_as_shown_and_history_only_once(page, widget_gateway):
    page.add_init_script(RECORD_ANNOUNCEMENTS)
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    page.keyboard.type("Hvad med MitID?")
    page.keyboard.press("Enter")
    expect(page.locator(".bh-choice", has_text="Nej")).to_be_visible()
    region = page.locator(".bh-root [aria-live][aria-relevant='additions']")
    expect(region).to_have_count(1)
    assert region.evaluate("node => node.closest('.bh-panel')") is None  # heard also when the chat is closed
    expect(region.locator("p").last).to_have_text("Chatbot: Hjalp det? Du kan svare: Ja, Nej.")
    spoken = announced(page)
    assert "Chatbot: Sådan får du en ny adgangskode til MitID: gå til MitID.dk (åbner i et nyt vindue)." in spoken
    assert not any("](" in text or "https://" in text for text in spoken), spoken
    assert region.locator("p").all_inner_texts()[-2:] == [
        "Chatbot: Sådan får du en ny adgangskode til MitID: gå til MitID.dk (åbner i et nyt vindue).",
        "Chatbot: Hjalp det? Du kan svare: Ja, Nej.",
    ]

    page.reload()
    expect(page.locator(".bh-msg--bot", has_text="Hjalp det?")).to_be_visible()
    page.get_by_label("Skriv din besked").fill("Ja tak")
    page.get_by_label("Skriv din besked").press("Enter")
    expect(page.locator(".bh-msg--bot", has_text="Du skrev: Ja tak")).to_be_visible()
    expect(region.locator("p").last).to_have_text("Chatbot: Du skrev: Ja tak")
    assert announced(page) == ["Chatbot: Du skrev: Ja tak"]  # the history shown again is not read aloud again


def test_an_answer_that_comes_while_the_chat_is_closed_is_counted_on_the_button(page, widget_gateway):
    release = threading.Event()
    answer = widget_gateway.rasa.reply

    def slow_reply(text: str):
        if text.startswith("Et spørgsmål"):
            release.wait(10)  # holds the fake Rasa until the test has closed the chat
        return answer(text)

    widget_gateway.rasa.reply = slow_reply  # type: ignore[method-assign]
    page.add_init_script(RECORD_ANNOUNCEMENTS)
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    expect(page.locator(".bh-msg--bot").first).to_contain_text("Jeg er en chatbot")
    page.keyboard.type("Et spørgsmål til jer")
    page.keyboard.press("Enter")
    expect(page.locator(".bh-msg--citizen:not(.bh-msg--pending)")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    release.set()

    launcher = page.get_by_role("button", name="Chat med os, 1 ny besked")
    expect(launcher).to_be_visible()
    assert "Chatbot: Du skrev: Et spørgsmål til jer" in announced(page)
    launcher.click()
    expect(page.locator(".bh-msg--bot", has_text="Du skrev: Et spørgsmål til jer")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("ny besked"))).to_have_count(0)
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Chat med os", exact=True)).to_be_focused()


@pytest.mark.parametrize("color", ["#008a3e", "#777777", "#ffdd00", "#00587c"])
def test_every_municipality_colour_gives_readable_text(page, widget_gateway, color):
    # The demo page's script tag gets the colour before the deferred script runs.
    page.add_init_script(
        "new MutationObserver(() => document.querySelectorAll('script[data-color]').forEach("
        f"s => s.setAttribute('data-color', {color!r}))).observe(document, {{subtree: true, childList: true}});"
    )
    page.goto(widget_gateway.url + "/")
    assert page.locator(".bh-root").evaluate("n => n.style.getPropertyValue('--bh-primary')") == color
    violations = axe_violations(page)  # the closed button
    assert violations == [], describe(violations)
    open_widget_with_keyboard(page)
    page.keyboard.type("Hvad med MitID?")  # a citizen message, a link and quick replies
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Ja")).to_be_visible()
    page.get_by_role("button", name="Større tekst").click()  # pressed: the colours swap
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_on_a_small_phone_the_full_screen_chat_keeps_the_keyboard_inside(page, widget_gateway):
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_have_attribute("aria-modal", "true")
    first = page.locator(".bh-panel .bh-language")  # the header's first button: the language switch
    first.focus()
    page.keyboard.press("Shift+Tab")  # the page under the chat cannot be seen, so focus must not go there
    expect(page.get_by_role("button", name="Afslut samtale")).to_be_focused()  # the chat's last button
    page.keyboard.press("Tab")
    expect(first).to_be_focused()

    # On a wide screen the chat sits in a corner next to the page, and Tab may leave it.
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(dialog).to_have_attribute("aria-modal", "false")
    first.focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.closest('.bh-panel')") is None


@pytest.mark.parametrize("width,height", [(640, 400), (320, 256)])  # 1280x800 at 200 % zoom, 1280x1024 at 400 %
def test_zoomed_in_with_larger_text_everything_can_be_reached(page, widget_gateway, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    expect(page.locator(".bh-msg--bot").first).to_contain_text("Jeg er en chatbot")
    page.get_by_role("button", name="Større tekst").click()
    log_height = page.locator(".bh-log").evaluate("n => n.getBoundingClientRect().height")
    assert log_height >= 120, f"the messages get only {log_height} px"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for name in ["Send", "Større tekst", "Luk chatten"]:
        button = page.get_by_role("button", name=name)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["y"] >= 0, name
        assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, (name, box)
    page.get_by_label("Skriv din besked").fill("Kan I se mig?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".bh-msg--bot", has_text="Du skrev: Kan I se mig?")).to_be_in_viewport()


def test_text_size_follows_the_browser_setting(page, widget_gateway):
    page.goto(widget_gateway.url + "/")
    # As when the citizen has chosen larger text in the browser's settings.
    page.evaluate("document.documentElement.style.fontSize = '24px'")
    open_widget_with_keyboard(page)

    def widget_font_size() -> float:
        return page.locator(".bh-root").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")

    assert widget_font_size() == 24
    page.get_by_role("button", name="Større tekst").click()
    assert widget_font_size() == 30


def test_messages_written_offline_survive_a_reload_and_all_get_through(page, widget_gateway):
    online = True
    cut_off = []

    def socket_route(ws):
        if online:
            ws.connect_to_server()
        else:
            cut_off.append(ws)  # the socket opens, but nothing ever answers: as on a train without signal

    page.route_web_socket(re.compile(r"/ws$"), socket_route)
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    page.keyboard.type("Første besked")
    page.keyboard.press("Enter")
    expect(page.locator(".bh-msg--bot", has_text="Du skrev: Første besked")).to_be_visible()

    with widget_gateway.restart():
        online = False
        expect(page.locator(".bh-notice")).to_contain_text("Forbindelsen blev afbrudt")
    written = [f"Besked nummer {n}" for n in range(1, 11)]  # more than the gateway takes at once (8)
    box = page.get_by_label("Skriv din besked")
    for text in written:
        box.fill(text)
        box.press("Enter")
    expect(page.locator(".bh-msg--pending")).to_have_count(10)

    page.reload()
    expect(page.locator(".bh-msg--pending")).to_have_count(10)
    assert citizen_texts(page)[-10:] == written

    online = True
    for ws in cut_off:
        ws.close()
    expect(page.locator(".bh-msg--bot", has_text="Du skrev: Besked nummer 10")).to_be_visible(timeout=60_000)
    expect(page.locator(".bh-msg--pending")).to_have_count(0)
    assert citizen_texts(page) == ["Første besked", *written]
    assert [stored_count(widget_gateway.db, text) for text in written] == [1] * 10
    expect(page.locator(".bh-notice")).not_to_contain_text("mange beskeder")


def test_the_language_switch_in_the_header_puts_the_widget_and_the_assistant_in_english(page, widget_gateway):
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    switch = page.get_by_role("button", name="Write in English")
    expect(switch).to_have_text("English")
    expect(switch).to_have_attribute("lang", "en")
    switch.click()

    expect(page.get_by_role("dialog", name=re.compile("Chat with"))).to_be_visible()
    expect(page.get_by_label("Write your message")).to_be_focused()
    expect(page.get_by_label("Write your message")).to_have_attribute("placeholder", "Write your message here")
    expect(page.locator(".bh-hint")).to_have_text("Do not write your CPR number, passwords or card numbers.")
    expect(page.locator(".bh-state")).to_have_text("You are writing with a chatbot.")
    expect(page.get_by_role("button", name="Larger text")).to_be_visible()
    expect(page.locator(".bh-root")).to_have_attribute("lang", "en")
    # The assistant is asked to switch too, with the same payload as the greeting's English button.
    deadline = time.monotonic() + 10
    while '/change_language{"language":"en"}' not in [text for _, text, _ in widget_gateway.rasa.received]:
        assert time.monotonic() < deadline, widget_gateway.rasa.received
        time.sleep(0.1)

    page.reload()
    expect(page.get_by_role("button", name="Skriv på dansk")).to_have_text("Dansk")
    violations = axe_violations(page)
    assert violations == [], describe(violations)

    page.get_by_role("button", name="Skriv på dansk").click()
    expect(page.get_by_label("Skriv din besked")).to_have_attribute("placeholder", "Skriv din besked her")
    expect(page.get_by_role("button", name="Write in English")).to_be_visible()


def test_an_english_host_page_gets_the_widget_in_english(page, widget_gateway):
    def english_page(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace('<html lang="da">', '<html lang="en">'))

    page.route(widget_gateway.url + "/", english_page)
    page.goto(widget_gateway.url + "/")
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_be_visible()
    launcher.click()
    expect(page.get_by_label("Write your message")).to_be_visible()
    expect(page.get_by_role("button", name="Skriv på dansk")).to_be_visible()


def test_the_greetings_english_button_turns_the_widget_english_too(page, widget_gateway):
    english_button = {"title": "English", "payload": '/change_language{"language":"en"}'}
    widget_gateway.rasa.reply = lambda text: [{"text": "Write in English if you prefer.", "buttons": [english_button]}]
    page.goto(widget_gateway.url + "/")
    open_widget_with_keyboard(page)
    page.get_by_label("Skriv din besked").fill("hej")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="English", exact=True).click()
    expect(page.get_by_label("Write your message")).to_have_attribute("placeholder", "Write your message here")
