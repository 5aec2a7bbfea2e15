"""Insight: what the assistant did, counted per day and channel (the console's "Statistik").

`rasa_events` reads what Rasa understood from its tracker store; `counting` turns conversations,
handoffs, bookings and Rasa's events into per-day counts (and keeps them when the purge deletes
the conversations); `report` shapes them for the page and the CSV export; `charts` draws them.
"""
from __future__ import annotations

from datetime import date

from bot.config import Municipality
from bot.insight.counting import Counts, all_counts
from bot.store import Database


def counts_between(db: Database, first: date, last: date, municipality: Municipality) -> Counts:
    """Every figure from `first` to `last` (both included): kept ones plus those still in the database."""
    with db.session() as session:
        return all_counts(session, first, last, municipality)


__all__ = ["Counts", "counts_between"]
