"""Live handoff against the real stack: Rasa with the trained model, the action server, the gateway.

Two browser contexts (and a third for a second staff member): the citizen's widget and the staff
console. Whether the assistant hands over live depends on its decision (a staff member online, and
borgerservice open), so the stack runs with a copy of municipality.yml that is open around the clock,
and the staff member sets themself online in the console first.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from bot.config import WEEKDAYS
from tests.browser.test_console import new_page, sign_in
from tests.browser.test_widget import open_widget_with_keyboard
from tests.console.support import PASSWORD
from tests.support.stack import running_stack

PROJECT = Path(__file__).resolve().parents[2]
TIMEOUT = 60_000


def always_open(directory: Path) -> Path:
    """municipality.yml, but borgerservice is open every day, all day, and no holiday closes it."""
    config = yaml.safe_load((PROJECT / "municipality.yml").read_text(encoding="utf-8"))
    config["opening_hours"] = {day: ["00:00-23:59"] for day in WEEKDAYS}
    config["opening_hours_exceptions"] = []
    path = directory / "municipality.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def add_staff(database_url: str, username: str, first_name: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "bot", "staff", "add", username, "--first-name", first_name, "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
        cwd=PROJECT,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=120,
    )


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory):
    directory = tmp_path_factory.mktemp("console-stack")
    env = {"MUNICIPALITY_CONFIG": str(always_open(directory)), "RASA_TIMEOUT": "30"}
    with running_stack(trained_model, directory, env=env) as running:
        add_staff(running.database_url, "anna", "Anna")
        add_staff(running.database_url, "bo", "Bo")
        yield running


def test_live_handoff_claim_reply_and_hand_back_with_the_real_assistant(browser, stack):
    anna = sign_in(browser, stack.gateway_url, "anna")
    anna.get_by_role("button", name="Jeg er klar til chat").click()
    expect(anna.locator("#presence-state")).to_have_text("Klar til chat")
    bo = sign_in(browser, stack.gateway_url, "bo")

    citizen = new_page(browser)
    citizen.goto(stack.gateway_url + "/")
    open_widget_with_keyboard(citizen)
    expect(citizen.locator(".bh-msg--bot").first).to_contain_text("chatbot", timeout=TIMEOUT)
    citizen.keyboard.type("jeg vil gerne tale med en medarbejder")
    citizen.keyboard.press("Enter")
    expect(citizen.locator(".bh-msg--bot").filter(has_text="medarbejder").first).to_be_visible(timeout=TIMEOUT)

    card = anna.locator("#waiting-list .card")
    expect(card).to_have_count(1, timeout=TIMEOUT)
    expect(anna).to_have_title(re.compile(r"\(1\)"))
    expect(card.locator(".summary")).not_to_be_empty()
    card.get_by_role("link").click()
    expect(anna.locator("#transcript")).to_contain_text("jeg vil gerne tale med en medarbejder")
    expect(anna.locator("#transcript .msg--bot").first).to_be_visible()
    conversation_url = anna.url

    anna.get_by_role("button", name="Overtag samtalen").click()
    expect(citizen.locator(".bh-msg--system").last).to_contain_text(
        "En medarbejder har overtaget samtalen. Du skriver nu med Anna.", timeout=TIMEOUT
    )

    bo.goto(conversation_url)
    expect(bo.locator("#conversation-state")).to_have_text("En medarbejder har samtalen.")
    expect(bo.get_by_role("button", name="Overtag samtalen")).to_be_hidden()
    refused = bo.evaluate(
        "() => window.BHConsole.api('POST', '/staff/api/conversations/' + document.getElementById('main')"
        ".getAttribute('data-conversation-id') + '/claim').then(r => [r.status, r.data.text])"
    )
    assert refused == [409, "Anna har allerede overtaget samtalen."]

    anna.get_by_label("Dit svar til borgeren").fill("Hej, det er Anna. Hvad kan jeg hjælpe med?")
    anna.get_by_role("button", name="Send til borgeren").click()
    expect(citizen.locator(".bh-msg--staff").last).to_contain_text("Hej, det er Anna.", timeout=TIMEOUT)

    box = citizen.get_by_label("Skriv din besked")
    box.fill("Jeg kan ikke finde min kodeviser")
    box.press("Enter")
    expect(anna.locator("#transcript .msg--citizen").last).to_have_text(
        re.compile("Jeg kan ikke finde min kodeviser"), timeout=TIMEOUT
    )

    anna.get_by_role("button", name="Giv tilbage til chatbotten").click()
    expect(citizen.locator(".bh-msg--system").last).to_contain_text("Du skriver nu med chatbotten igen", timeout=TIMEOUT)
    answers_before = citizen.locator(".bh-msg--bot").count()
    box.fill("Jeg har glemt min adgangskode til MitID")
    box.press("Enter")
    expect(citizen.locator(".bh-msg--bot")).not_to_have_count(answers_before, timeout=TIMEOUT)
    expect(citizen.locator(".bh-msg--bot").nth(answers_before)).to_contain_text(re.compile("MitID", re.I), timeout=TIMEOUT)
    expect(anna.locator("#transcript .msg--bot").last).to_be_visible()
    for page in (anna, bo, citizen):
        page.context.close()
