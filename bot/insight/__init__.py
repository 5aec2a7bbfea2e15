"""Insight: what the assistant did, counted per day and channel (the console's "Statistik").

`rasa_events` reads what Rasa understood from its tracker store; `counting` turns conversations,
handoffs, bookings and Rasa's events into per-day counts (and keeps them when the purge deletes
the conversations); `report` shapes them for the page and the CSV export; `charts` draws them.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.config import Municipality
from bot.insight.counting import Counts, all_counts, refresh_cache
from bot.store import Database
from bot.store.models import utcnow


def counts_between(db: Database, first: date, last: date, municipality: Municipality) -> Counts:
    """Every figure from `first` to `last` (both included): kept ones plus those still in the database."""
    with db.session() as session:
        return all_counts(session, first, last, municipality)


def count_recent_days(db: Database, municipality: Municipality, days: int) -> None:
    """Count the last `days` days' conversations ahead of a visit to the page (the purge loop calls it)."""
    today = utcnow().astimezone(municipality.timezone).date()
    with db.session() as session:
        refresh_cache(session, today - timedelta(days=days), today, municipality)


__all__ = ["Counts", "count_recent_days", "counts_between"]
