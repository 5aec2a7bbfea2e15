"""The statistics page in Chromium: charts drawn within the strict CSP, a table beside each chart,
the period form, and no axe-core (WCAG 2.1 AA) violation."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from bot.console import ConsoleSettings
from bot.insight.sample import fill
from tests.browser.conftest import axe_violations, describe
from tests.browser.test_console import sign_in
from tests.console.support import running_gateway
from tests.insight.scenario import DAY, fill_day


@pytest.fixture
def gateway(tmp_path):
    with running_gateway(tmp_path, ConsoleSettings(handoff_timeout=300, tick_seconds=0.5)) as running:
        yield running


def watch_csp(page) -> list[str]:
    """Messages of every CSP violation the page reports (an inline style or script that was blocked)."""
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)
    return blocked


def test_the_statistics_page_shows_the_day_with_charts_and_tables_and_passes_axe(browser, gateway):
    fill_day(gateway.db)
    page = sign_in(browser, gateway.url, "bo")
    blocked = watch_csp(page)
    page.get_by_role("link", name="Statistik").click()
    expect(page.get_by_role("heading", name="Statistik", exact=True)).to_be_visible()
    page.get_by_label("Fra", exact=True).fill(DAY.isoformat())
    page.get_by_label("Til", exact=True).fill(DAY.isoformat())
    page.get_by_role("button", name="Vis").click()
    expect(page.locator("#figure-conversations")).to_have_text("5")
    expect(page.locator("#figure-contained")).to_contain_text("1 (20 %)")
    # Each chart is an image named by its title, and its numbers are in a table on the page.
    topics = page.get_by_role("img", name="De ti største emner")
    expect(topics).to_be_visible()
    expect(page.get_by_role("table", name="Spørgsmål pr. emne").get_by_role("row")).to_have_count(3)
    expect(page.get_by_role("table", name="Samtaler pr. grund")).to_contain_text("Bad om at tale med en medarbejder")
    # The stylesheet reached the SVG: bars are filled with the console's colour, not black.
    fill_colour = page.locator("#chart-topics rect.chart-bar").first.evaluate("bar => getComputedStyle(bar).fill")
    assert fill_colour == "rgb(0, 88, 124)"
    assert page.get_by_role("link", name="Hent tallene som CSV").count() == 0  # not an admin
    violations = axe_violations(page, "html")
    assert not violations, describe(violations)
    assert blocked == []
    page.context.close()


def test_a_busy_year_by_month_passes_axe_and_the_admin_can_download(browser, gateway):
    today = date.today()
    fill(gateway.db, gateway.municipality, today, days=90, live_days=3, per_day=60)
    page = sign_in(browser, gateway.url, "anna")
    blocked = watch_csp(page)
    first = (today - timedelta(days=89)).isoformat()
    page.goto(f"{gateway.url}/staff/statistics?from={first}&to={today.isoformat()}&group=month")
    expect(page.get_by_role("img", name="Samtaler og klaret af assistenten alene")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Hent tallene som CSV (én linje pr. dag og kanal)").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("date,channel,conversations,citizen_messages,contained,not_understood")
    violations = axe_violations(page, "html")
    assert not violations, describe(violations)
    assert blocked == []
    page.context.close()
