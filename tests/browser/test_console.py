"""The staff console in headless Chromium, next to a citizen's widget (Rasa played by a fake).

The same handoff against the real assistant is in test_console_full_stack.py.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from bot.console import ConsoleSettings
from bot.store import Booking, BookingKind, Conversation
from bot.store.models import utcnow
from tests.browser.conftest import axe_violations, describe
from tests.browser.test_widget import open_widget_with_keyboard
from tests.console.support import PASSWORD, running_gateway

SCRIPT = "<script>window.__pwned = 1</script>"
IMAGE = '<img src=x onerror="window.__pwned = 2">'


@pytest.fixture
def gateway(tmp_path):
    with running_gateway(tmp_path, ConsoleSettings(handoff_timeout=300, tick_seconds=0.2)) as running:
        yield running


def new_page(browser, **options):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK", **options)
    context.set_default_timeout(15_000)
    return context.new_page()


def sign_in(browser, url: str, username: str = "anna"):
    page = new_page(browser)
    page.goto(url + "/staff")
    expect(page).to_have_url(re.compile(r"/staff/login"))
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(url + "/staff")
    expect(page.get_by_role("heading", name="Kø", exact=True)).to_be_visible()
    return page


def citizen_asks_for_a_person(browser, url: str):
    page = new_page(browser)
    page.goto(url + "/")
    open_widget_with_keyboard(page)
    expect(page.locator(".bh-msg--bot").first).to_contain_text("chatbot")
    page.keyboard.type("Jeg vil gerne tale med en medarbejder")
    page.keyboard.press("Enter")
    expect(page.locator(".bh-msg--bot").filter(has_text="kø")).to_have_count(1)
    return page


def say(citizen, text: str) -> None:
    box = citizen.get_by_label("Skriv din besked")
    box.fill(text)
    box.press("Enter")
    expect(citizen.locator(".bh-msg--citizen .bh-text").last).to_have_text(text)


def test_citizen_markup_is_shown_as_text_in_the_console(browser, gateway):
    dialogs: list[str] = []
    staff = sign_in(browser, gateway.url)
    staff.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    citizen = citizen_asks_for_a_person(browser, gateway.url)
    say(citizen, SCRIPT)
    say(citizen, IMAGE)
    with gateway.db.session() as session:  # the assistant's summary is shown as text too
        session.execute(update(Conversation).values(summary=f"Resumé {IMAGE}"))

    staff.reload()
    card = staff.locator("#waiting-list .card").first
    expect(card).to_contain_text(f"Resumé {IMAGE}")
    card.get_by_role("link").click()
    transcript = staff.locator("#transcript")
    expect(transcript.get_by_text(SCRIPT, exact=True)).to_be_visible()
    expect(transcript.get_by_text(IMAGE, exact=True)).to_be_visible()
    expect(staff.locator("#summary")).to_have_text(f"Resumé {IMAGE}")
    staff.get_by_label("Ny note").fill(IMAGE)
    staff.get_by_role("button", name="Gem note").click()
    expect(staff.locator("#notes")).to_contain_text(IMAGE)
    staff.wait_for_timeout(300)
    assert staff.evaluate("() => window.__pwned") is None
    assert staff.locator("main img, main script").count() == 0
    assert dialogs == []
    staff.context.close()
    citizen.context.close()


CITIZEN_MARKUP = "[klik](https://evil.example/) https://evil.example/ **fed**"
STAFF_MARKUP = "Se https://www.borger.dk/ eller [her](https://evil.example/) **nu**"


def test_the_assistants_links_are_links_and_everyone_elses_stay_text(browser, gateway):
    anna = sign_in(browser, gateway.url, "anna")
    citizen = new_page(browser)
    citizen.goto(gateway.url + "/")
    open_widget_with_keyboard(citizen)
    expect(citizen.locator(".bh-msg--bot").first).to_contain_text("chatbot")
    citizen.keyboard.type("Hvor finder jeg vejledningen?")
    citizen.keyboard.press("Enter")
    expect(citizen.locator(".bh-msg--bot").filter(has_text="Her er vejledningen")).to_have_count(1)
    citizen.keyboard.type(f"Jeg vil tale med en medarbejder {CITIZEN_MARKUP}")
    citizen.keyboard.press("Enter")
    expect(citizen.locator(".bh-msg--bot").filter(has_text="kø")).to_have_count(1)

    anna.locator("#waiting-list .card a").click()
    anna.get_by_role("button", name="Overtag samtalen").click()
    anna.get_by_label("Dit svar til borgeren").fill(STAFF_MARKUP)
    anna.get_by_role("button", name="Send til borgeren").click()
    transcript = anna.locator("#transcript")
    expect(transcript.locator(".msg--staff .msg-text")).to_have_text(STAFF_MARKUP)

    # The assistant's answer: a markdown link and a bare address become links, **Husk** bold.
    answer = transcript.locator(".msg--bot").filter(has_text="Her er vejledningen")
    guide = answer.get_by_role("link", name="mitid.dk (åbner i et nyt vindue)", exact=True)
    expect(guide).to_have_attribute("href", "https://www.mitid.dk/hjaelp/")
    expect(guide).to_have_attribute("rel", "noopener noreferrer")
    expect(guide).to_have_attribute("target", "_blank")
    bare = answer.get_by_role("link", name="https://www.borger.dk (åbner i et nyt vindue)", exact=True)
    expect(bare).to_have_attribute("href", "https://www.borger.dk/")
    expect(answer.locator("strong")).to_have_text("Husk")
    expect(answer.locator("a")).to_have_count(2)
    # The javascript: link is shown as the text it is.
    expect(answer).to_contain_text("Klik ikke på [dette](javascript:alert(1)).")
    assert anna.locator('a[href^="javascript"]').count() == 0

    # The citizen's and the staff member's text stays exactly as written: no links, no bold.
    expect(transcript.locator(".msg--citizen .msg-text").last).to_have_text(f"Jeg vil tale med en medarbejder {CITIZEN_MARKUP}")
    expect(transcript.locator(".msg--staff .msg-text")).to_have_text(STAFF_MARKUP)
    assert transcript.locator(".msg--citizen a, .msg--citizen strong, .msg--staff a, .msg--staff strong").count() == 0
    assert anna.locator('main a[href*="evil.example"]').count() == 0

    audit_page(anna, "conversation with links")
    anna.context.close()
    citizen.context.close()


def test_live_handoff_in_the_browser(browser, gateway):
    anna = sign_in(browser, gateway.url, "anna")
    bo = sign_in(browser, gateway.url, "bo")
    citizen = citizen_asks_for_a_person(browser, gateway.url)

    # The queue updates by itself, with a sound and a notice in the title bar.
    card = anna.locator("#waiting-list .card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("MitID")
    expect(card).to_contain_text("Web-chat")
    expect(card).to_contain_text("Borgeren vil tale med en person.")
    expect(anna).to_have_title(re.compile(r"\(1\)"))
    # Playwright's Chromium may play sound without a click, so the beep really sounded.
    assert anna.evaluate("() => window.BHConsole.audioState()") == "running"
    assert anna.evaluate("() => window.BHConsole.beeps") == 1
    expect(anna.get_by_role("button", name="Slå lyd til")).to_be_hidden()
    expect(anna.locator("#waiting-badge")).to_have_text("1 venter")

    card.get_by_role("link").click()
    expect(anna.locator("#transcript")).to_contain_text("Jeg vil gerne tale med en medarbejder")
    bo.goto(anna.url)
    expect(bo.get_by_role("button", name="Overtag samtalen")).to_be_visible()

    anna.get_by_role("button", name="Overtag samtalen").click()
    expect(citizen.locator(".bh-msg--system").last).to_contain_text("En medarbejder har overtaget samtalen. Du skriver nu med Anna.")
    reply = anna.get_by_label("Dit svar til borgeren")
    expect(reply).to_be_visible()

    # Bo's page follows along; the database refuses him all the same if he tries.
    expect(bo.get_by_role("button", name="Overtag samtalen")).to_be_hidden()
    refused = bo.evaluate(
        "() => window.BHConsole.api('POST', '/staff/api/conversations/' + document.getElementById('main')"
        ".getAttribute('data-conversation-id') + '/claim').then(r => [r.status, r.data.text])"
    )
    assert refused == [409, "Anna har allerede overtaget samtalen."]

    reply.type("Hej, jeg hedder Anna")
    expect(citizen.locator(".bh-typing")).to_contain_text("Medarbejderen skriver")
    anna.get_by_label("Standardsvar").select_option(label="Hvad har du prøvet?")
    anna.get_by_role("button", name="Indsæt").click()
    expect(reply).to_have_value(re.compile(r"^Hej, jeg hedder AnnaVil du skrive, hvad du har prøvet"))
    reply.fill("Hej, jeg hedder Anna. Hvad har du prøvet?")
    anna.get_by_role("button", name="Send til borgeren").click()
    staff_message = citizen.locator(".bh-msg--staff").last
    expect(staff_message).to_contain_text("Hej, jeg hedder Anna. Hvad har du prøvet?")
    expect(staff_message).to_contain_text("Anna (medarbejder)")

    citizen.get_by_label("Skriv din besked").type("Jeg har prøvet")
    expect(anna.locator("#citizen-typing")).to_be_visible()
    citizen.get_by_label("Skriv din besked").fill("Jeg har prøvet at logge ind tre gange")
    citizen.get_by_label("Skriv din besked").press("Enter")
    expect(anna.locator("#transcript .msg--citizen").last).to_contain_text("Jeg har prøvet at logge ind tre gange")
    expect(bo.locator("#transcript .msg--citizen").last).to_contain_text("Jeg har prøvet at logge ind tre gange")

    anna.get_by_label("Ny note").fill("Borgeren har en gammel telefon.")
    anna.get_by_role("button", name="Gem note").click()
    expect(anna.locator("#notes")).to_contain_text("Borgeren har en gammel telefon.")

    anna.get_by_role("button", name="Giv tilbage til chatbotten").click()
    expect(citizen.locator(".bh-msg--system").last).to_have_text(re.compile("Du skriver nu med chatbotten igen"))
    say(citizen, "Hvordan nulstiller jeg MitID?")
    expect(citizen.locator(".bh-msg--bot").last).to_contain_text("Hjalp det?")
    expect(anna.locator("#transcript .msg--bot").last).to_contain_text("Hjalp det?")
    assert "gammel telefon" not in citizen.locator("body").inner_text()
    for page in (anna, bo, citizen):
        page.context.close()


# Desktop browsers start a page's audio suspended until the person clicks or types on it; this headless
# Chromium, driven over DevTools, lets every page play (whatever --autoplay-policy says). The page gets
# the desktop behaviour back: each new AudioContext is suspended as it is made; resume() is the real one.
SUSPENDED_AUDIO = """
(() => {
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    constructor(...options) { super(...options); this.suspend(); }
  };
})();
"""


def test_a_button_turns_the_sound_on_when_the_browser_holds_it_back(browser, gateway):
    anna = sign_in(browser, gateway.url, "anna")
    anna.add_init_script(SUSPENDED_AUDIO)
    anna.reload()  # as after moving from one console page to another
    unlock = anna.get_by_role("button", name="Slå lyd til")
    expect(unlock).to_be_visible()
    assert anna.evaluate("() => window.BHConsole.audioState()") == "suspended"

    # A citizen arrives while the browser holds the sound back: the list and the title say so, but
    # no beep is counted, since none sounded.
    first = citizen_asks_for_a_person(browser, gateway.url)
    expect(anna.locator("#waiting-list .card")).to_have_count(1)
    expect(anna).to_have_title(re.compile(r"\(1\)"))
    assert anna.evaluate("() => window.BHConsole.beeps") == 0
    expect(unlock).to_be_visible()

    # With the keyboard: Enter on "Slå lyd til" starts the sound; the button goes, the focus stays near.
    unlock.focus()
    anna.keyboard.press("Enter")
    expect(unlock).to_be_hidden()
    anna.wait_for_function("() => window.BHConsole.audioState() === 'running'")
    expect(anna.get_by_label("Lyd ved ny borger")).to_be_focused()

    second = citizen_asks_for_a_person(browser, gateway.url)
    expect(anna.locator("#waiting-list .card")).to_have_count(2)
    assert anna.evaluate("() => window.BHConsole.beeps") == 1
    for page in (anna, first, second):
        page.context.close()


def test_close_and_the_satisfaction_question(browser, gateway):
    anna = sign_in(browser, gateway.url, "anna")
    citizen = citizen_asks_for_a_person(browser, gateway.url)
    anna.locator("#waiting-list .card a").click()
    anna.get_by_role("button", name="Overtag samtalen").click()
    expect(anna.get_by_label("Dit svar til borgeren")).to_be_visible()
    anna.get_by_role("button", name="Afslut samtalen").click()
    expect(citizen.locator(".bh-msg--system").filter(has_text="Samtalen er afsluttet")).to_have_count(1)
    question = citizen.locator(".bh-msg--system").filter(has_text="Hvor tilfreds")
    expect(question.locator(".bh-choice")).to_have_count(5)
    question.get_by_role("button", name="4").click()
    expect(citizen.locator(".bh-msg--system").last).to_contain_text("Tak for dit svar")
    expect(anna.locator("#facts")).to_contain_text("4 ud af 5")
    expect(anna.get_by_role("button", name="Afslut samtalen")).to_be_hidden()
    anna.context.close()
    citizen.context.close()


def audit_page(page, name: str) -> None:
    violations = axe_violations(page, "html")
    assert not violations, f"{name}: {describe(violations)}"


def test_a_late_reply_answer_does_not_pull_the_focus_out_of_a_note(browser, gateway):
    """The reply box takes the focus after a send, but not from a staff member already writing a note."""
    anna = sign_in(browser, gateway.url, "anna")
    citizen = citizen_asks_for_a_person(browser, gateway.url)
    anna.locator("#waiting-list .card a").click()
    anna.get_by_role("button", name="Overtag samtalen").click()
    reply = anna.get_by_label("Dit svar til borgeren")
    expect(reply).to_be_focused()

    held = []
    anna.route("**/reply", lambda route: held.append(route))
    reply.fill("Et øjeblik")
    anna.get_by_role("button", name="Send til borgeren").click()
    anna.wait_for_function("() => document.getElementById('reply-send').disabled")
    assert len(held) == 1
    note = anna.get_by_label("Ny note")
    note.click()
    note.type("Borgeren")
    held[0].continue_()
    anna.wait_for_function("() => !document.getElementById('reply-send').disabled")
    expect(anna.locator("#transcript .msg--staff").last).to_contain_text("Et øjeblik")
    anna.keyboard.type(" har ringet før.")  # into whatever has the focus, as a person's keyboard does
    expect(note).to_be_focused()
    expect(note).to_have_value("Borgeren har ringet før.")
    expect(reply).to_have_value("")
    anna.get_by_role("button", name="Gem note").click()
    expect(anna.locator("#notes")).to_contain_text("Borgeren har ringet før.")
    expect(anna.locator("#action-error")).to_be_hidden()
    anna.context.close()
    citizen.context.close()


def test_console_pages_pass_axe_wcag_21_aa(browser, gateway):
    login = new_page(browser)
    login.goto(gateway.url + "/staff/login")
    audit_page(login, "login")
    login.get_by_label("Brugernavn").fill("anna")
    login.get_by_label("Adgangskode").fill("forkert-kodeord")
    login.get_by_role("button", name="Log ind").click()
    expect(login.get_by_role("alert")).to_contain_text("forkert")
    audit_page(login, "login with an error")
    login.context.close()

    with gateway.db.session() as session:
        session.add(
            Booking(
                reference="ABC123", kind=BookingKind.CALLBACK, topic="mitid_forgot_pin",
                starts_at=utcnow() + timedelta(hours=2), length_minutes=15, first_name="Karen", phone="20304050",
                summary="Borgeren har glemt sin adgangskode til MitID.",
            )
        )
    anna = sign_in(browser, gateway.url, "anna")
    expect(anna.locator("#waiting-empty")).to_be_visible()
    audit_page(anna, "empty queue")
    anna.goto(gateway.url + "/staff/conversations/findes-ikke")
    expect(anna.get_by_role("alert")).to_contain_text("Samtalen findes ikke")
    audit_page(anna, "404 page")
    bo = sign_in(browser, gateway.url, "bo")
    refused = bo.goto(gateway.url + "/staff/audit")
    assert refused.status == 403
    expect(bo.get_by_role("alert")).to_be_visible()
    audit_page(bo, "403 page")
    bo.context.close()

    anna.goto(gateway.url + "/staff")
    citizen = citizen_asks_for_a_person(browser, gateway.url)
    expect(anna.locator("#waiting-list .card")).to_have_count(1)
    audit_page(anna, "queue")
    anna.locator("#waiting-list .card a").click()
    expect(anna.locator("#conversation-state")).to_have_text("Borgeren venter på en medarbejder.")
    audit_page(anna, "waiting conversation")
    anna.get_by_role("button", name="Overtag samtalen").click()
    expect(anna.get_by_label("Dit svar til borgeren")).to_be_visible()
    anna.get_by_label("Dit svar til borgeren").fill("Hej")
    anna.get_by_role("button", name="Send til borgeren").click()
    expect(anna.locator("#transcript .msg--staff").last).to_contain_text("Hej")
    anna.get_by_label("Ny note").fill("En note")
    anna.get_by_role("button", name="Gem note").click()
    expect(anna.locator("#notes")).to_contain_text("En note")
    audit_page(anna, "conversation")
    conversation_url = anna.url
    anna.get_by_role("button", name="Afslut samtalen").click()
    expect(anna.locator("#conversation-state")).to_have_text("Samtalen er afsluttet.")
    audit_page(anna, "closed conversation")

    # A citizen deletes their conversation ("Slet min samtale") while it is open in the console.
    gateway.rasa.reply = lambda text: [  # type: ignore[method-assign]
        {"text": "Vi gemmer samtalen i 30 dage.", "buttons": [{"title": "Slet min samtale", "payload": "/delete_conversation"}]}
    ]
    say(citizen, "Hvad gemmer I om mig?")
    anna.goto(conversation_url)
    expect(anna.locator("#transcript .msg--citizen").last).to_contain_text("Hvad gemmer I om mig?")
    citizen.get_by_role("button", name="Slet min samtale").last.click()
    expect(anna.locator("#conversation-state")).to_have_text("Borgeren har slettet samtalen.")
    audit_page(anna, "deleted conversation")
    for path, name in (
        ("/staff/bookings", "bookings"),
        ("/staff/availability", "availability"),
        ("/staff/canned", "canned answers"),
        ("/staff/audit", "audit"),
    ):
        anna.goto(gateway.url + path)
        expect(anna.get_by_role("heading", level=1)).to_be_visible()
        audit_page(anna, name)
    anna.context.close()
    citizen.context.close()


def test_a_citizens_name_and_summary_are_shown_as_text_on_the_bookings_page(browser, gateway):
    with gateway.db.session() as session:
        session.add(
            Booking(
                reference="XSS123", kind=BookingKind.CALLBACK, topic="mitid_forgot_pin",
                starts_at=utcnow() + timedelta(hours=2), length_minutes=15, first_name=IMAGE, phone="20304050",
                summary=f"Resumé {IMAGE} {SCRIPT}",
            )
        )
    dialogs: list[str] = []
    anna = sign_in(browser, gateway.url, "anna")
    anna.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    anna.goto(gateway.url + "/staff/bookings")
    row = anna.locator("tr").filter(has_text="XSS123")
    expect(row).to_contain_text(IMAGE)
    expect(row).to_contain_text(f"Resumé {IMAGE} {SCRIPT}")
    assert anna.evaluate("() => window.__pwned") is None
    assert anna.locator("main img, main script").count() == 0
    assert dialogs == []
    anna.context.close()


def test_deleting_a_canned_answer_works_with_its_fields_emptied(browser, gateway):
    """"Slet" shares a form with the answer's required fields; it must not be blocked by them."""
    anna = sign_in(browser, gateway.url, "anna")
    anna.goto(gateway.url + "/staff/canned")
    form = anna.locator("form.canned").filter(has=anna.get_by_role("button", name="Slet Hvad har du prøvet?"))
    form.get_by_label("Titel").fill("")
    form.get_by_label("Tekst").fill("")
    anna.get_by_role("button", name="Slet Hvad har du prøvet?").click()
    expect(anna.get_by_role("button", name="Slet Hvad har du prøvet?")).to_have_count(0)
    anna.context.close()
