"""The figures of a known day, before and after the retention purge deletes its conversations,
on SQLite and PostgreSQL; purges that run twice or at once count nothing twice."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from bot.config import load_municipality
from bot.insight import counts_between
from bot.insight.counting import wait_bucket
from bot.insight.report import build_report, csv_rows, wait_of
from bot.privacy import purge_older_than
from bot.store import Booking, Conversation
from tests.insight.scenario import DAY, PURGE_AT, database, expected_totals, fill_day

MUNICIPALITY = load_municipality()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    yield from database(request.param, tmp_path)


def totals(db, channel=None) -> Counter:
    return build_report(counts_between(db, DAY, DAY, MUNICIPALITY), DAY, DAY, channel, "day").totals


def test_a_day_counts_what_happened(db):
    fill_day(db)
    assert totals(db) == expected_totals()
    assert totals(db, "telegram") == expected_totals("telegram")
    report = build_report(counts_between(db, DAY, DAY, MUNICIPALITY), DAY, DAY, None, "day")
    assert report.helped == [("Digital Post: læse post", 0, 1), ("MitID: glemt PIN-kode eller adgangskode", 1, 0)]
    assert dict(report.reasons) == {
        "Bad om at tale med en medarbejder": 1, "Bad om en tid hos en medarbejder": 1,
    }
    assert report.claim.median == 50 and report.reply.median == 120  # 45 s and 100 s, in their steps
    assert dict(report.languages) == {"Dansk": 4, "Engelsk": 1}
    assert dict(report.satisfaction)["4"] == 1
    assert report.hours == {(1, 10): 4, (1, 22): 1}  # Tuesday, local time
    assert dict(report.booking_ends)["Gennemført"] == 1


def test_the_export_has_the_page_figures_per_day_and_channel(db):
    fill_day(db)
    rows = csv_rows(counts_between(db, DAY, DAY, MUNICIPALITY), DAY, DAY)
    assert [(row["date"], row["channel"]) for row in rows] == [("2026-03-10", "telegram"), ("2026-03-10", "web")]
    web = rows[1]
    assert (web["conversations"], web["contained"], web["not_understood"], web["handoffs"], web["live_chats"],
            web["bookings"], web["helped_yes"], web["helped_no"]) == (4, 1, 2, 1, 0, 1, 1, 1)
    assert rows[0]["live_chats"] == 1


def test_the_figures_outlive_the_purge_and_a_second_purge_adds_nothing(db):
    fill_day(db)
    before = counts_between(db, DAY, DAY, MUNICIPALITY)
    result = purge_older_than(db, 30, now=PURGE_AT, municipality=MUNICIPALITY)
    assert result.conversations == 5 and result.bookings == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0
        assert session.scalar(select(func.count()).select_from(Booking)) == 0
    assert counts_between(db, DAY, DAY, MUNICIPALITY) == before
    purge_older_than(db, 30, now=PURGE_AT, municipality=MUNICIPALITY)
    assert counts_between(db, DAY, DAY, MUNICIPALITY) == before


def test_purges_at_once_count_each_conversation_once(db):
    """Two gateway replicas purge at the same moment: each conversation is counted by one of them."""
    fill_day(db)
    before = counts_between(db, DAY, DAY, MUNICIPALITY)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def purge() -> None:
        try:
            start.wait()
            purge_older_than(db, 30, now=PURGE_AT, municipality=MUNICIPALITY)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=purge) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert counts_between(db, DAY, DAY, MUNICIPALITY) == before


def test_waits_are_kept_in_steps_and_read_back_as_median_and_90th_percentile():
    assert [wait_bucket(s) for s in (0, 1, 10, 11, 59, 60, 61, 3599, 3600, 3601)] == [
        10, 10, 10, 20, 60, 60, 120, 3600, 3600, 4200,
    ]
    histogram = Counter({10: 5, 60: 4, 600: 1})
    wait = wait_of(histogram)
    assert (wait.count, wait.median, wait.p90) == (10, 10, 60)
    assert wait_of(Counter()).median is None


def test_the_counted_days_are_counted_again_when_their_conversations_change(db):
    ids = fill_day(db)
    assert totals(db)["satisfaction"] == 1
    with db.session() as session:
        session.get(Conversation, ids["answered"]).satisfaction = 5
    assert totals(db)["satisfaction"] == 2
    fill_day(db)
    assert totals(db)["conversations"] == 10
