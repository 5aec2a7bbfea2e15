"""Read-only snapshots of conversations and messages, safe to hand across threads and to JSON."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.store import Conversation, ConversationState, Message, Sender
from bot.times import iso


@dataclass(frozen=True)
class ConversationView:
    id: str
    channel: str
    channel_user_id: str
    state: ConversationState
    topic: str | None = None
    handoff_reason: str | None = None
    summary: str | None = None
    assigned_staff_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    waiting_since: datetime | None = None

    @classmethod
    def of(cls, row: Conversation) -> ConversationView:
        return cls(
            id=row.id,
            channel=row.channel,
            channel_user_id=row.channel_user_id,
            state=ConversationState(row.state),
            topic=row.topic,
            handoff_reason=row.handoff_reason,
            summary=row.summary,
            assigned_staff_id=row.assigned_staff_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            waiting_since=row.waiting_since,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "state": self.state.value,
            "topic": self.topic,
            "handoff_reason": self.handoff_reason,
            "summary": self.summary,
            "assigned_staff_id": self.assigned_staff_id,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "waiting_since": iso(self.waiting_since),
        }


@dataclass(frozen=True)
class MessageView:
    id: int
    conversation_id: str
    sender: Sender
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] | None = None
    staff_id: int | None = None
    staff_name: str | None = None
    client_message_id: str | None = None
    created_at: datetime | None = None

    @classmethod
    def of(cls, row: Message, staff_name: str | None = None) -> MessageView:
        payload = row.payload or {}
        buttons = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in payload.get("buttons") or []
            if isinstance(b, dict)
        ]
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            sender=Sender(row.sender),
            text=row.text or "",
            buttons=buttons,
            custom=payload.get("custom"),
            staff_id=row.staff_id,
            staff_name=staff_name,
            client_message_id=row.client_message_id,
            created_at=row.created_at,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "sender": self.sender.value,
            "text": self.text,
            "buttons": self.buttons,
            "custom": self.custom,
            "staff_id": self.staff_id,
            "staff_name": self.staff_name,
            "client_message_id": self.client_message_id,
            "created_at": iso(self.created_at),
        }
