"""The retention purge as a background task of the gateway, so deletion after RETENTION_DAYS needs no cron.

Every replica runs it; the purge is a set of DELETEs by age, so two replicas purging at once do
the same work twice and nothing else.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.config import Municipality
from bot.insight import count_recent_days
from bot.learning.inbox import purge_older_than as purge_inbox
from bot.privacy import purge_older_than
from bot.privacy.deletion import DEFAULT_AUDIT_RETENTION_DAYS, PurgeResult
from bot.store import Database

logger = logging.getLogger(__name__)


def purge_all(
    db: Database,
    days: int,
    *,
    audit_days: int = DEFAULT_AUDIT_RETENTION_DAYS,
    municipality: Municipality | None = None,
    now: datetime | None = None,
) -> PurgeResult:
    """The retention purge (`bot.privacy`), and the inbox of missed messages, which follows the same
    retention. `now` is for tests: the purge as it will run on a later day."""
    result = purge_older_than(db, days, now, audit_days=audit_days, municipality=municipality)
    purge_inbox(db, days, now)
    return result


async def run_purge_loop(
    db: Database,
    retention_days: int,
    first_delay: float,
    interval: float,
    audit_days: int = DEFAULT_AUDIT_RETENTION_DAYS,
    municipality: Municipality | None = None,
    after_purge: Callable[[], Awaitable[None]] | None = None,
    also: Callable[[], None] | None = None,
) -> None:
    """Purge shortly after the start (a gateway restarted daily must still purge), then every `interval` s.

    The purge first keeps the day's statistics of what it deletes (days in the municipality's time zone).
    `after_purge` lets the gateway drop what it remembers in memory about conversations now gone;
    `also` runs with each round: what a channel keeps in memory about chats is let go there too.
    """
    await asyncio.sleep(first_delay)
    while True:
        try:
            await asyncio.to_thread(
                purge_all, db, retention_days, audit_days=audit_days, municipality=municipality
            )
            if municipality is not None:
                # Counted now, the statistics page need not count a month of conversations on a visit.
                await asyncio.to_thread(count_recent_days, db, municipality, retention_days)
            if after_purge is not None:
                await after_purge()
        except Exception:
            # The database may be down for a while; the next round tries again.
            logger.exception("The retention purge failed")
        if also is not None:
            also()
        await asyncio.sleep(interval)
