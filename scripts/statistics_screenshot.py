"""Retake docs/statistics.png, the README's picture of the console's statistics page.

A made-up busy municipality (bot/insight/sample.py: 90 days, the last week in full) in a scratch
SQLite database, the gateway with the console on loopback (Rasa played by the tests' fake), and
Debian's Chromium through Playwright:

    .venv/bin/python scripts/statistics_screenshot.py
"""
from __future__ import annotations

import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from bot.console import ConsoleSettings  # noqa: E402
from bot.insight.sample import fill  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.test_console import sign_in  # noqa: E402
from tests.console.support import running_gateway  # noqa: E402

OUTPUT = PROJECT / "docs" / "statistics.png"


def main() -> None:
    today = date.today()
    with tempfile.TemporaryDirectory() as directory, running_gateway(
        Path(directory), ConsoleSettings(handoff_timeout=3600, tick_seconds=1)
    ) as gateway, sync_playwright() as playwright:
        fill(gateway.db, gateway.municipality, today, days=90, live_days=7, per_day=400)
        expect.set_options(timeout=30_000)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        anna = sign_in(browser, gateway.url, "anna")
        anna.set_viewport_size({"width": 1280, "height": 1700})
        first = (today - timedelta(days=89)).isoformat()
        anna.goto(f"{gateway.url}/staff/statistics?from={first}&to={today.isoformat()}&group=week")
        expect(anna.get_by_role("heading", name="Statistik", exact=True)).to_be_visible()
        anna.mouse.move(0, 0)
        anna.screenshot(path=str(OUTPUT))
        browser.close()
    print(f"wrote {OUTPUT.relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
