"""From conversation events to the citizen's Telegram chat: the assistant's answers, staff replies,
the gateway's own notices and typing, each rendered in Telegram's shapes and queued in the chat's outbox.

Event handlers run inline in the code that changed the conversation, so they only queue (one
INSERT each, so what was queued survives a restart).
"""
from __future__ import annotations

import re
from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram import texts
from bot.channels.telegram.formatting import MAX_MESSAGE, split_text, to_html, utf16_length
from bot.channels.telegram.outbox import Outbox, Outgoing
from bot.gateway.events import EventBus, MessageAdded, TypingChanged
from bot.gateway.language import language_of
from bot.gateway.texts import in_language
from bot.gateway.views import MessageView
from bot.store import Database, Sender

CHANNEL = "telegram"
# A button's callback data is the message it belongs to and its place there, which always fits
# Telegram's 64 bytes; the payload itself stays in the database with the message.
_BUTTON = re.compile(r"^m:(\d{1,18}):(\d{1,3})$")
_SHORT_TITLE, _ONE_ROW_MAX = 4, 5


def button_data(message_id: int, index: int) -> str:
    return f"m:{message_id}:{index}"


def parse_button_data(data: str | None) -> tuple[int, int] | None:
    match = _BUTTON.match(data or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def keyboard(message: MessageView) -> InlineKeyboardMarkup | None:
    """One button a row, so long Danish titles stay readable; short ones ("Ja", "Nej", 1 to 5) share one."""
    buttons = [
        InlineKeyboardButton(button["title"], callback_data=button_data(message.id, index))
        for index, button in enumerate(message.buttons)
        if button.get("title")
    ]
    if not buttons:
        return None
    if len(buttons) <= _ONE_ROW_MAX and all(len(button.text) <= _SHORT_TITLE for button in buttons):
        return InlineKeyboardMarkup([buttons])
    return InlineKeyboardMarkup([[button] for button in buttons])


def needs_language(message: MessageView) -> bool:
    """Whether `render` words something of its own: the staff label, or "Vælg ..." above bare buttons."""
    return message.sender == Sender.STAFF or not message.text.strip()


def render(message: MessageView, language: str = "da") -> list[Outgoing]:
    """One stored message as the Telegram messages that show it; buttons go with the last part. What the
    channel adds itself is in `language`, the conversation's."""
    text = message.text.strip()
    image = (message.custom or {}).get("image")
    if isinstance(image, str) and image:
        text = f"{text}\n{image}".strip()
    markup = keyboard(message)
    if not text and markup is None:
        return []  # e.g. the assistant's handoff payload: for the gateway, not for the citizen
    text = text or in_language(texts.CHOOSE, language)
    header = texts.staff_label(message.staff_name, language) if message.sender == Sender.STAFF else ""
    parts = split_text(text, MAX_MESSAGE - (utf16_length(header) + 1 if header else 0))
    items = []
    for number, part in enumerate(parts):
        html, plain = to_html(part), part
        if header and number == 0:
            html, plain = f"<b>{to_html(header)}</b>\n{html}", f"{header}\n{plain}"
        last = number == len(parts) - 1
        items.append(Outgoing("message", html=html, plain=plain, keyboard=markup if last else None))
    return items


def plain_message(text: str) -> Outgoing:
    return Outgoing("message", html=to_html(text), plain=text)


class ChatReplies:
    """Queues what the citizen should see of their Telegram conversations."""

    def __init__(self, outbox: Outbox, unreachable: Callable[[int], bool], db: Database) -> None:
        self.outbox = outbox
        self.unreachable = unreachable
        self.db = db  # for the conversation's language, read only when render words something itself

    def listen(self, events: EventBus) -> None:
        events.on(MessageAdded, self.message_added)
        events.on(TypingChanged, self.typing_changed)

    async def message_added(self, event: MessageAdded) -> None:
        chat_id = self._chat(event.conversation.channel, event.conversation.channel_user_id)
        if chat_id is None or event.message.sender == Sender.CITIZEN:
            return
        language = "da"
        if needs_language(event.message):
            language = await language_of(self.db, event.conversation.id)
        for item in render(event.message, language):
            await self.outbox.put(chat_id, item, event.conversation.id)

    async def typing_changed(self, event: TypingChanged) -> None:
        chat_id = self._chat(event.conversation.channel, event.conversation.channel_user_id)
        if chat_id is not None and event.on and event.who in ("bot", "staff"):
            await self.outbox.put(chat_id, Outgoing("typing"))

    def _chat(self, channel: str, user_id: str) -> int | None:
        if channel != CHANNEL:
            return None
        try:
            chat_id = int(user_id)
        except ValueError:
            return None
        return None if self.unreachable(chat_id) else chat_id
