"""Nothing lost while a citizen waits: a background check, once per tick, in every gateway replica.

- A conversation that has waited longer than the handoff timeout goes back to the assistant with a
  booking offered (`ConversationService.offer_booking`; the conditional UPDATE lets exactly one
  replica, or the staff member claiming it that very second, win).
- A conversation a staff member has taken goes back to the queue when that staff member has gone:
  the account is disabled (at once), or for longer than the handoff timeout (and never sooner than
  the presence timeout, the longest a working console may stay quiet) their presence has not
  changed or been refreshed and none of their sessions has been used (logged out, console closed,
  set away by the check below). A staff member who chose "Væk" but still uses the console keeps
  their conversations. The citizen is told, and the conversation waits in the queue as new.
- A staff member whose console went quiet is set away, so the assistant stops promising live chat.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.config import Municipality
from bot.console import presence, texts
from bot.console.settings import ConsoleSettings
from bot.gateway.conversations import ConversationNotFound, ConversationService
from bot.store import Conversation, ConversationState, Database, Handoff, StaffMember, StaffPresence, audit
from bot.store.models import StaffSession, utcnow
from bot.times import as_utc

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

    def _left_behind(self) -> list[tuple[str, int | None]]:
        """Taken conversations whose owner has gone (see the module's docstring), with that owner."""
        now = self.clock()
        cutoff = now - timedelta(seconds=max(self.settings.handoff_timeout, self.settings.presence_timeout))
        with self.db.session() as session:
            # When the owner took the conversation: nobody has gone before they have had it for the timeout.
            claimed_at = (
                select(func.max(Handoff.claimed_at))
                .where(Handoff.conversation_id == Conversation.id, Handoff.ended_at.is_(None))
                .scalar_subquery()
            )
            taken = session.execute(
                select(
                    Conversation.id,
                    Conversation.assigned_staff_id,
                    StaffMember.active,
                    StaffPresence.updated_at,
                    claimed_at,
                )
                .outerjoin(StaffMember, StaffMember.id == Conversation.assigned_staff_id)
                .outerjoin(StaffPresence, StaffPresence.staff_id == Conversation.assigned_staff_id)
                .where(Conversation.state == ConversationState.HUMAN)
                .order_by(Conversation.updated_at)
            ).all()
            if not taken:
                return []
            in_use = set(
                session.scalars(
                    select(StaffSession.staff_id).where(
                        StaffSession.staff_id.in_({owner for _, owner, *_ in taken if owner is not None}),
                        StaffSession.revoked_at.is_(None),
                        StaffSession.expires_at > now,
                        StaffSession.last_seen_at >= cutoff,
                    )
                )
            )
        gone = []
        for conversation_id, owner, active, since, claimed in taken:
            # An online member's console refreshes `since`; an away one's changed to away at `since`.
            heard_from = since is not None and as_utc(since) >= cutoff
            just_taken = claimed is not None and as_utc(claimed) >= cutoff
            if owner is None or not active or not (heard_from or just_taken or owner in in_use):
                gone.append((conversation_id, owner))
        return gone

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
        for conversation_id, owner in await asyncio.to_thread(self._left_behind):
            try:
                if await self.service.back_to_queue(conversation_id, owner):
                    logger.info("Conversation %s back in the queue: staff member %s has gone", conversation_id, owner)
                    await asyncio.to_thread(
                        audit.record,
                        self.db,
                        None,
                        "back_to_queue",
                        conversation_id=conversation_id,
                        details=f"medarbejder {owner}",
                    )
            except ConversationNotFound:
                continue
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
