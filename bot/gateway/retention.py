"""The retention purge as a background task of the gateway, so deletion after RETENTION_DAYS needs no cron.

Every replica runs it; the purge is a set of DELETEs by age, so two replicas purging at once do
the same work twice and nothing else.
"""
from __future__ import annotations

import asyncio
import logging

from bot.config import Municipality
from bot.insight import count_recent_days
from bot.privacy import purge_older_than
from bot.store import Database

logger = logging.getLogger(__name__)


async def run_purge_loop(
    db: Database, retention_days: int, first_delay: float, interval: float, municipality: Municipality | None = None
) -> None:
    """Purge shortly after the start (a gateway restarted daily must still purge), then every `interval` s.
    The purge first keeps the day's statistics of what it deletes (days in the municipality's time zone)."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            await asyncio.to_thread(purge_older_than, db, retention_days, None, municipality)
            if municipality is not None:
                # Counted now, the statistics page need not count a month of conversations on a visit.
                await asyncio.to_thread(count_recent_days, db, municipality, retention_days)
        except Exception:
            # The database may be down for a while; the next round tries again.
            logger.exception("The retention purge failed")
        await asyncio.sleep(interval)
