"""Headless Debian Chromium driven by Playwright (never a downloaded browser), and a gateway to point it at."""
from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from bot.config import Settings, load_municipality
from bot.app import create_app
from bot.gateway.settings import GatewaySettings
from bot.store import Database
from tests.support.fake_rasa import TOKEN, FakeRasa
from tests.support.rasa_tables import create_events_table
from tests.support.servers import free_port, serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


# Per module, not per session: Playwright's sync API keeps an event loop running in the main thread,
# which async tests in other folders (pytest-asyncio) cannot share.
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run scripts/install_browser_deps.sh")
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do: on a busy 2-core CI machine a page update can take
    # longer than Playwright's 5-second default without anything being wrong.
    expect.set_options(timeout=15_000)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="da-DK")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@dataclass
class WidgetGateway:
    """A gateway with a fake Rasa on loopback that a test can stop and start again on the same port."""

    url: str
    rasa: FakeRasa
    db: Database
    restart: Callable[[], contextlib.AbstractContextManager[str]]


@pytest.fixture
def gateway_changes() -> dict:
    """Settings a test changes for `widget_gateway`: `@pytest.mark.parametrize("gateway_changes", [{...}])`."""
    return {}


@pytest.fixture
def widget_gateway(tmp_path, gateway_changes) -> Iterator[WidgetGateway]:
    fake = FakeRasa()
    db = Database(f"sqlite:///{tmp_path / 'browser.db'}")
    db.upgrade()
    # The stand-in Rasa shares the database as the real one does, so "Slet min samtale" can delete its events.
    create_events_table(db)
    port = free_port()
    with serve_in_thread(fake.app()) as rasa_url:
        base = Settings.from_env(
            {"DATABASE_URL": db.url, "RASA_URL": rasa_url, "RASA_TOKEN": TOKEN, "ACTION_SERVER_URL": f"{rasa_url}/webhook"}
        )
        settings = GatewaySettings(base=base, retry_interval=0.2, rasa_timeout=5, **gateway_changes)
        municipality = load_municipality()

        def serve() -> contextlib.AbstractContextManager[str]:
            return serve_in_thread(create_app(settings, municipality=municipality), port=port, timeout_graceful_shutdown=1)

        server = serve()
        url = server.__enter__()
        holder = {"server": server}

        @contextlib.contextmanager
        def restart() -> Iterator[str]:
            """Stop the gateway (every socket drops), run the block, then start it again."""
            holder["server"].__exit__(None, None, None)
            try:
                yield url
            finally:
                holder["server"] = serve()
                holder["server"].__enter__()

        try:
            yield WidgetGateway(url, fake, db, restart)
        finally:
            holder["server"].__exit__(None, None, None)
            db.dispose()


def axe_violations(page, selector: str = ".bh-root") -> list[dict]:
    """Run axe-core on part of the page; return the WCAG 2.1 A/AA violations."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run scripts/install_browser_deps.sh (npm ci)")
    # Evaluated through the DevTools protocol, so the page's strict CSP (no inline scripts) stays on.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate(
        "async ([selector, tags]) => await axe.run(document.querySelector(selector),"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        [selector, WCAG_AA],
    )
    return result["violations"]


def describe(violations: list[dict]) -> str:
    return json.dumps(
        [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]} for v in violations],
        ensure_ascii=False,
        indent=1,
    )
