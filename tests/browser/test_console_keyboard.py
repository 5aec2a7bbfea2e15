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
