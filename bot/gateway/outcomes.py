"""What a call to the conversation service can come back with, or fail with."""
from __future__ import annotations

from dataclasses import dataclass

from bot.gateway.texts import Said
from bot.gateway.views import MessageView
from bot.store import ConversationState


class ConversationNotFound(LookupError):
    pass


class MessageRejected(ValueError):
    """The message was not stored; `said` tells why, in both languages (the channel picks the conversation's)."""

    def __init__(self, code: str, said: Said) -> None:
        super().__init__(code)
        self.code = code
        self.said = said

    @property
    def text(self) -> str:
        """In Danish: the staff console's language."""
        return self.said["da"]


@dataclass(frozen=True)
class Seen:
    """What a staff member's check saw before acting: the state and who had the conversation (None: nobody).

    A change given a `Seen` happens only if the conversation is still exactly so when the UPDATE
    runs, so a claim by someone else in between makes it fail instead of undoing their claim."""

    state: ConversationState
    owner: int | None


@dataclass(frozen=True)
class Received:
    message: MessageView | None  # None when the message deleted the conversation
    duplicate: bool = False
    deleted: bool = False
