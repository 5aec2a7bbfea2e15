"""The staff console with the keyboard and a screen reader in mind: where the focus goes when the
page changes under it, and what live regions say. Headless Chromium, Rasa played by a fake."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_console import citizen_asks_for_a_person, gateway, say, sign_in  # noqa: F401 (fixture)


def press(page, locator, key: str = "Enter") -> None:
    """Focus a control as Tab would and press a key on it, as a keyboard user does."""
    locator.focus()
    expect(locator).to_be_focused()
    page.keyboard.press(key)


def focus_is_on_body(page) -> bool:
    return page.evaluate("() => !document.activeElement || document.activeElement === document.body")


def test_the_focus_stays_on_the_page_when_claim_hand_back_and_close_hide_their_buttons(browser, gateway):
    anna = sign_in(browser, gateway.url, "anna")
    bo = sign_in(browser, gateway.url, "bo")
    citizen = citizen_asks_for_a_person(browser, gateway.url)
    press(anna, anna.locator("#waiting-list .card a"))
    state = anna.locator("#conversation-state")
    expect(state).to_have_text("Borgeren venter på en medarbejder.")

    # Claim: the reply box takes the focus.
    press(anna, anna.get_by_role("button", name="Overtag samtalen"))
    expect(anna.get_by_label("Dit svar til borgeren")).to_be_focused()

    # Hand back: the button disappears; the focus goes to the conversation's state, which says what happened.
    press(anna, anna.get_by_role("button", name="Giv tilbage til chatbotten"))
    expect(state).to_have_text("Chatbotten har samtalen.")
    expect(state).to_be_focused()
    assert not focus_is_on_body(anna)

    # Bo takes the conversation while Anna's focus is on "Overtag samtalen": her button goes, her focus does not.
    say(citizen, "Jeg vil tale med en medarbejder igen")
    claim = anna.get_by_role("button", name="Overtag samtalen")
    press(anna, claim, "Shift")  # a key that does nothing, to show the focus came from the keyboard
    conversation = anna.url.rsplit("/", 1)[1]
    bo.goto(anna.url)
    assert bo.evaluate(
        "id => window.BHConsole.api('POST', '/staff/api/conversations/' + id + '/claim').then(r => r.status)", conversation
    ) == 200
    expect(state).to_have_text("En medarbejder har samtalen.")
    expect(claim).to_be_hidden()
    expect(state).to_be_focused()

    # Close (Anna is an administrator, so she may end Bo's conversation): the focus goes to the state again.
    press(anna, anna.get_by_role("button", name="Afslut samtalen"))
    expect(state).to_have_text("Samtalen er afsluttet.")
    expect(state).to_be_focused()
    assert not focus_is_on_body(anna)
    for page in (anna, bo, citizen):
        page.context.close()


def focused_card(page) -> list:
    """[list id, conversation id, whether it is the very link the test marked] of the focused card link."""
    return page.evaluate(
        "() => { const a = document.activeElement; const card = a && a.closest('.card');"
        " return card ? [card.parentElement.id, card.getAttribute('data-conversation-id'), a === window.__markedLink] : null; }"
    )


def test_a_queue_update_keeps_the_focus_on_the_card_it_was_on(browser, gateway):
    anna = sign_in(browser, gateway.url, "anna")
    bo = sign_in(browser, gateway.url, "bo")
    first = citizen_asks_for_a_person(browser, gateway.url)
    link = anna.locator("#waiting-list .card a")
    expect(link).to_have_count(1)
    conversation = link.get_attribute("href").rsplit("/", 1)[1]
    link.focus()
    anna.evaluate("() => { window.__markedLink = document.activeElement; }")

    # A second citizen arrives: the list is redrawn, the focused card and its link stay as they were.
    second = citizen_asks_for_a_person(browser, gateway.url)
    expect(anna.locator("#waiting-list .card")).to_have_count(2)
    assert focused_card(anna) == ["waiting-list", conversation, True]

    # Bo takes the first citizen: the card moves to the other list, and the focus goes with it.
    assert bo.evaluate(
        "id => window.BHConsole.api('POST', '/staff/api/conversations/' + id + '/claim').then(r => r.status)", conversation
    ) == 200
    expect(anna.locator("#active-list .card")).to_have_count(1)
    expect(anna.locator("#waiting-list .card")).to_have_count(1)
    anna.wait_for_function("() => document.activeElement && document.activeElement.closest('#active-list')")
    assert focused_card(anna)[:2] == ["active-list", conversation]

    # Bo hands it back: the card is gone, and the focus goes to the heading of the list it was in.
    assert bo.evaluate(
        "id => window.BHConsole.api('POST', '/staff/api/conversations/' + id + '/hand-back').then(r => r.status)", conversation
    ) == 200
    expect(anna.locator("#active-list .card")).to_have_count(0)
    expect(anna.get_by_role("heading", name="Samtaler med en medarbejder (0)")).to_be_focused()
    for page in (anna, bo, first, second):
        page.context.close()


def test_the_citizen_typing_notice_is_a_polite_live_region(browser, gateway):
    anna = sign_in(browser, gateway.url, "anna")
    citizen = citizen_asks_for_a_person(browser, gateway.url)
    press(anna, anna.locator("#waiting-list .card a"))
    press(anna, anna.get_by_role("button", name="Overtag samtalen"))
    expect(anna.get_by_label("Dit svar til borgeren")).to_be_focused()

    # A live region is only read out if it is in the page before its text changes: it is there, empty.
    typing = anna.locator("#citizen-typing")
    expect(typing).to_have_attribute("role", "status")
    expect(typing).to_have_text("")
    assert typing.evaluate("node => !node.closest('[hidden], [aria-hidden=\"true\"]') && getComputedStyle(node).display !== 'none'")

    box = citizen.get_by_label("Skriv din besked")
    box.type("Jeg har")
    expect(anna.get_by_role("status").filter(has_text="Borgeren skriver")).to_be_visible()
    box.type(" prøvet")
    box.press("Enter")
    expect(anna.locator("#transcript .msg--citizen").last).to_contain_text("Jeg har prøvet")
    expect(typing).to_have_text("")
    expect(typing).to_have_attribute("role", "status")
    anna.context.close()
    citizen.context.close()


# Records, in order, each message put into the transcript and each change of its aria-busy.
RECORD_BUSY = """
window.__transcriptEvents = [];
new MutationObserver(records => {
  records.forEach(record => {
    if (record.target.id !== 'transcript') { return; }
    if (record.type === 'attributes') {
      window.__transcriptEvents.push('busy ' + record.oldValue + ' -> ' + record.target.getAttribute('aria-busy'));
    } else if (record.addedNodes.length) {
      window.__transcriptEvents.push('message');
    }
  });
}).observe(document, {childList: true, subtree: true, attributes: true, attributeFilter: ['aria-busy'], attributeOldValue: true});
"""


def test_the_transcript_is_not_read_out_from_the_start_when_the_page_opens(browser, gateway):
    anna = sign_in(browser, gateway.url, "anna")
    citizen = citizen_asks_for_a_person(browser, gateway.url)
    say(citizen, "Jeg har glemt min adgangskode til MitID")
    link = anna.locator("#waiting-list .card a")
    expect(link).to_have_count(1)
    anna.add_init_script(RECORD_BUSY)
    press(anna, link)

    # The backlog goes into the log while it is busy (screen readers wait), then the log is live.
    transcript = anna.get_by_role("log", name="Beskeder i samtalen")
    expect(transcript.locator(".msg--citizen").last).to_contain_text("Jeg har glemt min adgangskode")
    expect(transcript).to_have_attribute("aria-busy", "false")
    backlog = transcript.locator(".msg").count()
    assert anna.evaluate("() => window.__transcriptEvents") == ["message"] * backlog + ["busy true -> false"]

    # A message that arrives after that is added to a live log, so it is read out.
    say(citizen, "Er der nogen?")
    expect(transcript.locator(".msg--citizen").last).to_contain_text("Er der nogen?")
    assert anna.evaluate("() => window.__transcriptEvents") == ["message"] * backlog + ["busy true -> false", "message"]
    anna.context.close()
    citizen.context.close()
