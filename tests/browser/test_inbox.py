"""'Forbedr chatbotten' in headless Chromium: an admin works through the inbox; the pages pass axe."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bot.console import ConsoleSettings
from bot.learning import inbox
from tests.browser.conftest import axe_violations, describe
from tests.browser.test_console import sign_in
from tests.console.support import running_gateway
from tests.learning.support import Tracker

IMAGE = '<img src=x onerror="window.__pwned = 1">'


@pytest.fixture
def gateway(tmp_path):
    inbox.normalised("varm op")  # the Danish lexicon loads once per process, not inside the first page load
    with running_gateway(tmp_path, ConsoleSettings(handoff_timeout=300, tick_seconds=0.2)) as running:
        yield running


def missed(gateway, sender: str, words: str) -> None:
    Tracker(gateway.db, sender).not_understood(
        words, [("nlu_fallback", 0.6), ("mitid_blocked", 0.3), ("mitid_forgot_pin", 0.1)]
    )


def no_violations(page, name: str) -> None:
    violations = axe_violations(page, "html")
    assert not violations, f"{name}: {describe(violations)}"


def test_an_admin_keeps_an_example_from_the_inbox_and_the_pages_pass_axe(browser, gateway):
    missed(gateway, "a" * 32, "min app er laast")
    missed(gateway, "b" * 32, "Min app er låst!")
    missed(gateway, "c" * 32, IMAGE)
    anna = sign_in(browser, gateway.url, "anna")
    anna.get_by_role("link", name="Forbedr chatbotten").click()
    expect(anna.get_by_role("heading", name="Forbedr chatbotten", level=1)).to_be_visible()
    items = anna.locator("form.inbox-item")
    expect(items).to_have_count(2)
    first = items.first
    expect(first).to_contain_text("2 gange")
    expect(first).to_contain_text("mitid_blocked")
    expect(items.nth(1)).to_contain_text(IMAGE)  # shown as text, never run
    assert anna.evaluate("window.__pwned") is None
    no_violations(anna, "inbox")

    first.get_by_label("Borgeren mente").select_option("mitid_blocked")
    first.get_by_label("Sætningen, som chatbotten skal lære").fill("min app er låst")
    first.get_by_label("Gem sætningen som træningseksempel").check()
    first.get_by_role("button", name="Gem intentionen").click()
    expect(anna.get_by_role("status")).to_contain_text("Sætningen er med")
    expect(anna.locator("form.inbox-item")).to_have_count(1)
    examples = anna.locator("table.examples tbody tr")
    expect(examples).to_have_count(1)
    expect(examples.first).to_contain_text("min app er låst")
    no_violations(anna, "inbox after keeping")

    anna.locator("form.inbox-item").first.get_by_role("button", name="Afvis").click()
    expect(anna.get_by_text("Indbakken er tom")).to_be_visible()

    anna.get_by_role("link", name="Modeller").click()
    expect(anna.get_by_role("heading", name="Modeller", level=1)).to_be_visible()
    expect(anna.get_by_text("1 gemte eksempel kommer med")).to_be_visible()
    no_violations(anna, "models")
    anna.context.close()


def test_staff_see_no_inbox_link(browser, gateway):
    bo = sign_in(browser, gateway.url, "bo")
    expect(bo.get_by_role("link", name="Forbedr chatbotten")).to_have_count(0)
    refused = bo.goto(gateway.url + "/staff/inbox")
    assert refused.status == 403
    bo.context.close()
