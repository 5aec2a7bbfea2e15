"""The console's "Statistik": every staff member sees the page; administrators also download the CSV."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta

from starlette.requests import Request
from starlette.responses import Response

from bot.console import rendering
from bot.console.auth import console_of, staff_page
from bot.danish import WEEKDAY_NAMES
from bot.insight import counts_between
from bot.insight.charts import bar_chart, column_chart, heat_map
from bot.insight.report import CHANNELS, GROUPINGS, build_report, csv_text, format_wait
from bot.store import audit
from bot.store.models import utcnow

DEFAULT_DAYS = 30
LONGEST_PERIOD = timedelta(days=3 * 366)


@dataclass(frozen=True)
class Choice:
    """What the staff member asked to see, checked; `error` says what was wrong with the asking."""

    first: date
    last: date
    channel: str | None
    grouping: str
    error: str | None = None


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def read_choice(request: Request) -> Choice:
    """From the query (from, to, channel, group); the last 30 days on all channels by default."""
    today = utcnow().astimezone(console_of(request).municipality.timezone).date()
    params = request.query_params
    first, last = _date(params.get("from")), _date(params.get("to"))
    channel = params.get("channel") if params.get("channel") in CHANNELS else None
    grouping = str(params.get("group")) if params.get("group") in GROUPINGS else "day"
    error = None
    if (params.get("from") and first is None) or (params.get("to") and last is None):
        error = "Datoen kunne ikke læses. Skriv den som år-måned-dag, fx 2026-11-24."
    elif first and last and first > last:
        error = "Fra-datoen ligger efter til-datoen."
    elif first and last and last - first > LONGEST_PERIOD:
        error = "Vælg højst tre år ad gangen."
    if error or first is None or last is None:
        last = last if last and not error else today
        first = first if first and not error and first <= last else last - timedelta(days=DEFAULT_DAYS - 1)
    return Choice(first, last, channel, grouping, error)


@staff_page()
async def statistics_page(request: Request) -> Response:
    console = console_of(request)
    choice = read_choice(request)
    counts = await asyncio.to_thread(counts_between, console.db, choice.first, choice.last, console.municipality)
    report = build_report(counts, choice.first, choice.last, choice.channel, choice.grouping)
    charts = {
        "periods": column_chart(
            "chart-periods", "Samtaler og klaret af assistenten alene", report.periods, ("samtaler", "klaret alene")
        ),
        "reasons": bar_chart("chart-reasons", "Hvorfor borgeren fik en medarbejder", report.reasons),
        "topics": bar_chart("chart-topics", "De ti største emner", report.topics),
        "hours": heat_map("chart-hours", "Hvornår borgerne skriver (samtaler pr. ugedag og time)", report.hours),
        "satisfaction": bar_chart(
            "chart-satisfaction", "Tilfredshed (1 er meget utilfreds, 5 meget tilfreds)", report.satisfaction
        ),
    }
    return await rendering.show(
        request,
        "statistics.html",
        "Statistik",
        request.state.staff,
        status=400 if choice.error else 200,
        report=report,
        charts=charts,
        choice=choice,
        channels=CHANNELS,
        groupings=GROUPINGS,
        wait=format_wait,
        weekdays=WEEKDAY_NAMES,
        notice=None,
        error=choice.error,
    )


@staff_page(admin=True)
async def statistics_csv(request: Request) -> Response:
    choice = read_choice(request)
    if choice.error:
        return Response(choice.error + "\n", status_code=400, media_type="text/plain; charset=utf-8")
    console = console_of(request)
    counts = await asyncio.to_thread(counts_between, console.db, choice.first, choice.last, console.municipality)
    # Who took which figures out of the console: the export holds no personal data, but a
    # municipality answers for where its numbers went.
    await asyncio.to_thread(
        audit.record,
        console.db,
        request.state.staff.staff_id,
        "statistics_exported",
        details=f"{choice.first.isoformat()} til {choice.last.isoformat()}",
    )
    name = f"statistik-{choice.first.isoformat()}-{choice.last.isoformat()}.csv"
    return Response(
        csv_text(counts, choice.first, choice.last),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"},
    )
