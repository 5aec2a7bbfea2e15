"""Nothing lost while a citizen waits: a background check, once per tick, in every gateway replica.

- A conversation that has waited longer than the handoff timeout goes back to the assistant with a
  booking offered (`ConversationService.offer_booking`; the conditional UPDATE lets exactly one
  replica, or the staff member claiming it that very second, win).
- A staff member whose console went quiet is set away, so the assistant stops promising live chat.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select

from bot.config import Municipality
from bot.console import audit, presence, texts
from bot.console.settings import ConsoleSettings
from bot.gateway.conversations import ConversationNotFound, ConversationService
from bot.store import Conversation, ConversationState, Database
from bot.store.models import utcnow

logger = logging.getLogger(__name__)


class HandoffWatch:
    def __init__(
        self,
        db: Database,
        service: ConversationService,
        municipality: Municipality,
        settings: ConsoleSettings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.service = service
        self.municipality = municipality
        self.settings = settings
        self.clock = clock

    def _overdue(self) -> list[str]:
        cutoff = self.clock() - timedelta(seconds=self.settings.handoff_timeout)
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(Conversation.id)
                    .where(Conversation.state == ConversationState.WAITING, Conversation.waiting_since <= cutoff)
                    .order_by(Conversation.waiting_since)
                )
            )

    async def tick(self) -> list[str]:
        """One round of checks; returns the conversations that were offered a booking."""
        offered = []
        for conversation_id in await asyncio.to_thread(self._overdue):
            try:
                changed = await self.service.offer_booking(
                    conversation_id, texts.nobody_came(self.municipality), [texts.BOOK_BUTTON]
                )
            except ConversationNotFound:
                continue
            if changed:
                offered.append(conversation_id)
                await asyncio.to_thread(audit.record, self.db, None, "booking_offered", conversation_id=conversation_id)
        quiet = timedelta(seconds=self.settings.presence_timeout)
        for staff_id in await asyncio.to_thread(presence.sweep, self.db, quiet, self.clock()):
            logger.info("Staff member %s set away: their console went quiet", staff_id)
        return offered

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                logger.exception("The handoff watch failed; trying again next tick")
            await asyncio.sleep(self.settings.tick_seconds)
