"""Retake docs/console.png, the README's picture of the staff console.

A conversation a staff member has taken over, with the assistant's answer showing its link. It runs
the gateway with the console on loopback (Rasa played by the tests' fake, a scratch SQLite database)
and Debian's Chromium through Playwright:

    .venv/bin/python scripts/console_screenshot.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402
from sqlalchemy import update  # noqa: E402

from bot.booking.struggle import Reason  # noqa: E402
from bot.console import ConsoleSettings  # noqa: E402
from bot.store import Conversation  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.test_console import new_page, say, sign_in  # noqa: E402
from tests.browser.test_widget import open_widget_with_keyboard  # noqa: E402
from tests.console.support import running_gateway  # noqa: E402

OUTPUT = PROJECT / "docs" / "console.png"
SUMMARY = (
    "Hvorfor: Borgeren bad om at tale med en medarbejder.\n"
    "Emne: MitID: glemt PIN-kode eller adgangskode.\n"
    "Svar givet: MitID: glemt PIN-kode eller adgangskode.\n"
    'Borgerens seneste beskeder: "jeg har glemt min adgangskode til mitid"'
)


def main() -> None:
    with tempfile.TemporaryDirectory() as directory, running_gateway(
        Path(directory), ConsoleSettings(handoff_timeout=3600, tick_seconds=1)
    ) as gateway, sync_playwright() as playwright:
        expect.set_options(timeout=15_000)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        anna = sign_in(browser, gateway.url, "anna")
        anna.set_viewport_size({"width": 1280, "height": 1000})
        anna.get_by_role("button", name="Jeg er klar til chat").click()
        expect(anna.get_by_role("button", name="Sæt mig som væk")).to_be_visible()
        citizen = new_page(browser)
        citizen.goto(gateway.url + "/")
        open_widget_with_keyboard(citizen)
        say(citizen, "jeg har glemt min adgangskode til mitid")
        expect(citizen.locator(".bh-msg--bot").filter(has_text="Hjalp det?")).to_have_count(1)
        say(citizen, "Jeg vil gerne tale med en medarbejder")
        expect(anna.locator("#waiting-list .card")).to_have_count(1)
        # The fake's handoff is terse; give it what the real assistant's handoff says.
        with gateway.db.session() as session:
            session.execute(
                update(Conversation).values(topic="mitid_forgot_pin", handoff_reason=Reason.ASKED_FOR_PERSON.value, summary=SUMMARY)
            )

        anna.reload()
        anna.locator("#waiting-list .card a").click()
        anna.get_by_role("button", name="Overtag samtalen").click()
        reply = anna.get_by_label("Dit svar til borgeren")
        reply.fill("Hej, det er Anna fra borgerservice. Har du MitID-appen på din telefon?")
        anna.get_by_role("button", name="Send til borgeren").click()
        say(citizen, "Ja, men den beder om en kode, jeg ikke kan huske")
        expect(anna.locator("#transcript .msg--citizen").last).to_contain_text("kan huske")
        anna.get_by_label("Ny note").fill("Har appen. Skal nok have ny adgangskode via mitid.dk.")
        anna.get_by_role("button", name="Gem note").click()
        expect(anna.locator("#notes")).to_contain_text("Har appen")
        reply.fill("Så hjælper jeg dig med at lave en ny.")
        expect(anna.locator("#transcript .msg")).to_have_count(9)  # all in, before scrolling to the link
        # Start the visible part of the transcript at the assistant's answer with the link.
        anna.evaluate(
            "() => { const log = document.getElementById('transcript');"
            " const answer = log.querySelector('a').closest('.msg');"
            " log.scrollTop = answer.offsetTop - log.offsetTop - 8; document.activeElement.blur(); window.scrollTo(0, 0); }"
        )
        anna.mouse.move(0, 0)
        anna.screenshot(path=str(OUTPUT))
        browser.close()
    print(f"wrote {OUTPUT.relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
