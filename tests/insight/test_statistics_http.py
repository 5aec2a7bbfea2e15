"""The statistics page and the CSV export over real HTTP: who may see what, the figures, escaping,
and the strict CSP (no inline style or script in the charts)."""
from __future__ import annotations

import asyncio
import csv
import io
import re

from sqlalchemy import update

from bot.store import Handoff, audit
from tests.console.support import sign_in
from tests.insight.scenario import DAY, fill_day

PERIOD = f"from={DAY.isoformat()}&to={DAY.isoformat()}"
PERIOD_TEXT = f"{DAY.isoformat()} til {DAY.isoformat()}"  # as the audit log says it


def test_every_staff_member_sees_the_page_and_only_admins_export(gateway):
    fill_day(gateway.db)

    async def scenario():
        bo = await sign_in(gateway.url, "bo")
        anna = await sign_in(gateway.url, "anna")
        try:
            page = await bo.client.get(f"/staff/statistics?{PERIOD}")
            assert page.status_code == 200
            assert '<dd id="figure-conversations">5</dd>' in page.text
            assert "Hent tallene som CSV" not in page.text
            assert (await bo.client.get(f"/staff/statistics.csv?{PERIOD}")).status_code == 403
            admin_page = await anna.client.get(f"/staff/statistics?{PERIOD}&channel=telegram")
            assert '<dd id="figure-conversations">1</dd>' in admin_page.text
            assert f'href="/staff/statistics.csv?{PERIOD.replace("&", "&amp;")}"' in admin_page.text
            export = await anna.client.get(f"/staff/statistics.csv?{PERIOD}")
            assert export.status_code == 200
            assert export.headers["content-type"] == "text/csv; charset=utf-8"
            rows = list(csv.DictReader(io.StringIO(export.text)))
            assert sum(int(row["conversations"]) for row in rows) == 5
            assert sum(int(row["contained"]) for row in rows) == 1
            [exported] = [line for line in audit.recent(gateway.db) if line.action == "statistics_exported"]
            assert exported.staff_name == "anna" and exported.details == PERIOD_TEXT
            return page.text
        finally:
            await bo.client.aclose()
            await anna.client.aclose()

    page = asyncio.run(scenario())
    # Within the CSP: no inline style or script anywhere, charts named for screen readers.
    assert "style=" not in page and "<style" not in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/staff/static/common.js" defer>']
    for chart in re.findall(r'<svg class="chart" id="([^"]+)" role="img" aria-labelledby="([^"]+)"', page):
        assert chart[1] == f"{chart[0]}-title {chart[0]}-desc"
        assert f'<title id="{chart[0]}-title">' in page


def test_a_reason_from_the_action_server_is_shown_as_text(gateway):
    fill_day(gateway.db)
    with gateway.db.session() as session:
        session.execute(update(Handoff).where(Handoff.reason == "asked_for_person").values(reason="<img src=x onerror=alert(1)>"))

    async def scenario():
        bo = await sign_in(gateway.url, "bo")
        try:
            return (await bo.client.get(f"/staff/statistics?{PERIOD}")).text
        finally:
            await bo.client.aclose()

    page = asyncio.run(scenario())
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_wrong_period_is_explained_and_the_export_refuses_it(gateway):
    async def scenario():
        anna = await sign_in(gateway.url, "anna")
        try:
            page = await anna.client.get("/staff/statistics?from=2026-13-01&to=2026-03-10")
            later = await anna.client.get("/staff/statistics?from=2026-03-11&to=2026-03-10")
            export = await anna.client.get("/staff/statistics.csv?from=2026-03-11&to=2026-03-10")
            return page, later, export
        finally:
            await anna.client.aclose()

    page, later, export = asyncio.run(scenario())
    assert page.status_code == 400 and "Datoen kunne ikke læses" in page.text
    assert later.status_code == 400 and "Fra-datoen ligger efter til-datoen" in later.text
    assert export.status_code == 400


def test_the_page_needs_a_signed_in_staff_member(gateway):
    async def scenario():
        import httpx

        async with httpx.AsyncClient(base_url=gateway.url) as client:
            return await client.get("/staff/statistics"), await client.get(f"/staff/statistics.csv?{PERIOD}")

    page, export = asyncio.run(scenario())
    assert page.status_code in (302, 303) and "/staff/login" in page.headers["location"]
    assert export.status_code in (302, 303, 401, 403)
