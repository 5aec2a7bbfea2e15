"""Reading conversations and their messages; `ConversationService` builds on it."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.gateway.views import ConversationView, MessageView
from bot.store import Conversation, Database, Message, StaffMember


class ConversationReader:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, conversation_id: str) -> ConversationView | None:
        def load() -> ConversationView | None:
            with self.db.session() as session:
                row = session.get(Conversation, conversation_id)
                return ConversationView.of(row) if row else None

        return await asyncio.to_thread(load)

    async def get_for_user(self, channel: str, channel_user_id: str, conversation_id: str) -> ConversationView | None:
        """The conversation, only if it belongs to this user on this channel."""
        conversation = await self.get(conversation_id)
        if conversation and conversation.channel == channel and conversation.channel_user_id == channel_user_id:
            return conversation
        return None

    async def latest_for_user(self, channel: str, channel_user_id: str) -> ConversationView | None:
        """The user's newest conversation on this channel (Telegram has one chat, not a stored id)."""

        def load() -> ConversationView | None:
            with self.db.session() as session:
                row = session.scalars(
                    select(Conversation)
                    .where(Conversation.channel == channel, Conversation.channel_user_id == channel_user_id)
                    .order_by(Conversation.created_at.desc())
                    .limit(1)
                ).first()
                return ConversationView.of(row) if row else None

        return await asyncio.to_thread(load)

    async def history(self, conversation_id: str, after_id: int = 0, limit: int = 1000) -> list[MessageView]:
        """Messages after `after_id`, oldest first: what a reconnecting client has not seen yet."""

        def load() -> list[MessageView]:
            with self.db.session() as session:
                rows = session.execute(
                    select(Message, StaffMember.first_name)
                    .outerjoin(StaffMember, StaffMember.id == Message.staff_id)
                    .where(Message.conversation_id == conversation_id, Message.id > after_id)
                    .order_by(Message.id)
                    .limit(limit)
                ).all()
                return [MessageView.of(message, name) for message, name in rows]

        return await asyncio.to_thread(load)
