"""In a real browser: typing or clicking in the console counts as activity for the idle limit."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.console import ConsoleSettings
from bot.console.sessions import as_utc
from bot.store.models import StaffSession
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
