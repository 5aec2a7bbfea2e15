"""In a real browser: typing or clicking in the console counts as activity for the idle limit."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.console import ConsoleSettings
from bot.store.models import StaffSession
from bot.times import as_utc
from tests.browser.test_console import sign_in
from tests.console.support import running_gateway
from tests.console.test_sessions import moved_clock


@pytest.fixture
def gateway(tmp_path):
    with running_gateway(tmp_path, ConsoleSettings(handoff_timeout=300, tick_seconds=0.2)) as running:
        yield running


def last_seen(gateway):
    with gateway.db.session() as session:
        return as_utc(session.scalar(select(StaffSession.last_seen_at)))


def test_a_click_in_the_console_keeps_the_session_alive(browser, gateway):
    staff = sign_in(browser, gateway.url)
    staff.wait_for_function("document.getElementById('connection').textContent === ''")  # the socket is ready
    clock = moved_clock(gateway)
    clock.advance(minutes=gateway.app.state.console.settings.session_idle_minutes - 1)
    staff.get_by_role("heading", name="Kø", exact=True).click()
    deadline = time.monotonic() + 15
    while last_seen(gateway) != clock.now and time.monotonic() < deadline:
        time.sleep(0.1)  # waiting for the socket message to arrive, not asserting on time
    assert last_seen(gateway) == clock.now


def test_reloads_the_conversation_page_does_by_itself_are_not_activity(browser, gateway):
    from tests.browser.test_console import citizen_asks_for_a_person

    anna = sign_in(browser, gateway.url, "anna")
    citizen = citizen_asks_for_a_person(browser, gateway.url)
    anna.locator("#waiting-list .card a").click()
    anna.wait_for_function("() => document.getElementById('connection').textContent === ''")
    reloads = []
    anna.on(
        "request",
        lambda request: reloads.append(request.headers.get("x-console-background"))
        if request.method == "GET" and "/staff/api/conversations/" in request.url
        else None,
    )
    bo = sign_in(browser, gateway.url, "bo")
    bo.goto(anna.url)
    bo.get_by_role("button", name="Overtag samtalen").click()  # a state event reaches Anna's page
    anna.wait_for_function("() => document.getElementById('claim').hidden")
    assert reloads and all(header == "1" for header in reloads), reloads
    for page in (anna, bo, citizen):
        page.context.close()
