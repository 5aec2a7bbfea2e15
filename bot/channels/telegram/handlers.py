"""What a citizen does in Telegram, each as one small handler: /start, /slet, text, a button, an
attachment, blocking the bot. They all go through the gateway's ConversationService, exactly as
the web widget does, so redaction, states, storage and handoff are the same on both channels.

A citizen's Telegram chat is one conversation at a time: the newest for that chat id.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.channels.telegram import texts
from bot.channels.telegram.chats import ChatGuards
from bot.channels.telegram.outbox import Outbox, Outgoing
from bot.channels.telegram.replies import CHANNEL, parse_button_data, plain_message
from bot.gateway import texts as gateway_texts
from bot.gateway.citizen_input import button_at
from bot.gateway.conversations import DELETE_PAYLOAD, ConversationService, MessageRejected
from bot.gateway.language import DANISH, ENGLISH, language_of
from bot.gateway.sockets import too_long
from bot.gateway.texts import Said
from bot.gateway.views import ConversationView
from bot.store import ConversationState
from bot.store.telegram_updates import release_update, take_update

logger = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
_DELETE_WORDS = re.compile(r"^\s*slet min samtale[.!]?\s*$", re.IGNORECASE)
_COMMAND = re.compile(r"^/([^\s@]+)(?:@\S+)?\s*")
_REMEMBERED_UPDATES = 10_000
_MAX_CONVERSATIONS_DELETED = 1000


def attachment_kind(message: Message) -> str:
    for kind in texts.ATTACHMENT_NAMES:
        if getattr(message, kind, None):
            return kind
    return "other"


def _chat_id(update: Update) -> int:
    # Every handler here is registered for a private chat's commands, messages or buttons: there is a chat.
    if update.effective_chat is None:
        raise ValueError(f"Telegram update {update.update_id} has no chat")
    return update.effective_chat.id


def _app_language(update: Update) -> str:
    """The language of the citizen's Telegram app, for notices when no conversation has one yet:
    English for an English app ("en", "en-GB"), Danish otherwise (the answers exist in those two)."""
    user = update.effective_user
    code = (user.language_code or "") if user is not None else ""
    return ENGLISH if code.lower().startswith("en") else DANISH


def _message(update: Update) -> Message:
    if update.effective_message is None:
        raise ValueError(f"Telegram update {update.update_id} has no message")
    return update.effective_message


class CitizenHandlers:
    def __init__(
        self,
        service: ConversationService,
        outbox: Outbox,
        *,
        blocked: set[int],
        on_blocked: Callable[[int], Awaitable[None]],
        max_message_length: int = 1000,
        rate_limit_messages: int = 8,
        rate_limit_seconds: float = 10.0,
    ) -> None:
        self.service = service
        self.outbox = outbox
        self.blocked = blocked
        self.on_blocked = on_blocked
        self.max_message_length = max_message_length
        self.chats = ChatGuards(rate_limit_messages, rate_limit_seconds)
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._failed: set[int] = set()

    # Before every handler ----------------------------------------------------------------------

    async def drop_duplicates(self, update: Update, context: Context) -> None:
        """Telegram sends an update again when it did not hear back in time; it is handled once."""
        if update.update_id in self._seen:
            logger.info("Telegram update %s arrived twice; handled once", update.update_id)
            raise ApplicationHandlerStop
        # This process's memory is the fast path; the database also knows what another replica, or
        # this gateway before a restart, has taken (a photo or a button press must not act twice).
        if not await asyncio.to_thread(take_update, self.service.db, update.update_id):
            logger.info("Telegram update %s was taken before (another gateway, or before a restart)", update.update_id)
            raise ApplicationHandlerStop
        self._seen[update.update_id] = None
        while len(self._seen) > _REMEMBERED_UPDATES:
            self._seen.popitem(last=False)
        if update.effective_chat is not None:
            self.blocked.discard(_chat_id(update))  # whoever writes can be written to

    async def failed(self, update: object, context: Context) -> None:
        logger.error("A Telegram update could not be handled", exc_info=context.error)
        if isinstance(update, Update):
            # Forget it, so that Telegram's next try (webhook mode answers 500) is handled.
            self._seen.pop(update.update_id, None)
            self._failed.add(update.update_id)
            await asyncio.to_thread(release_update, self.service.db, update.update_id)

    def take_failure(self, update_id: int) -> bool:
        if update_id in self._failed:
            self._failed.discard(update_id)
            return True
        return False

    # The citizen's actions ---------------------------------------------------------------------

    async def start(self, update: Update, context: Context) -> None:
        """/start greets like the widget: a new conversation unless one is going on."""
        chat_id = _chat_id(update)
        if not await self._allowed(chat_id, _app_language(update)):
            return
        async with self.chats.lock(chat_id):
            latest = await self.service.latest_for_user(CHANNEL, str(chat_id))
            if latest is None or latest.state == ConversationState.CLOSED:
                await self.service.start(CHANNEL, str(chat_id), greet=True)
            elif latest.state == ConversationState.BOT:
                await self.service.greet(latest)
            else:
                notice = texts.STILL_WAITING if latest.state == ConversationState.WAITING else texts.WITH_STAFF
                await self._tell(chat_id, notice, await self._language_of(latest))

    async def delete(self, update: Update, context: Context) -> None:
        """/slet, like the "Slet min samtale" button."""
        await self._delete_all(_chat_id(update), _app_language(update))

    async def text(self, update: Update, context: Context) -> None:
        message = _message(update)
        text = message.text or ""
        if _DELETE_WORDS.match(text) or text.strip() == DELETE_PAYLOAD:
            await self._delete_all(_chat_id(update), _app_language(update))
            return
        command = _COMMAND.match(text)
        if command:
            # "/word@our_bot": the app's way of naming the bot; the service reads "/word" as plain words.
            text = f"/{command.group(1)} {text[command.end():]}".strip()
        await self._receive(_chat_id(update), update.update_id, text, app_language=_app_language(update))

    async def button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        chat = update.effective_chat
        if query is None:  # registered as a CallbackQueryHandler: there is always one
            raise ValueError(f"Telegram update {update.update_id} has no button press")
        if chat is None or chat.type != ChatType.PRIVATE:
            await self._answer(query)
            return
        latest = await self.service.latest_for_user(CHANNEL, str(chat.id))
        pressed = await self._pressed(latest, query)
        if isinstance(query.message, Message):
            await self.outbox.put(chat.id, Outgoing("remove_keyboard", message_id=query.message.message_id))
        if pressed is None:
            # A keyboard of an earlier turn (or of a deleted conversation): Telegram shows the answer
            # on the button itself; nothing goes to Rasa, which has moved on.
            await self._answer(query, gateway_texts.in_language(texts.BUTTON_GONE, await self._language_of(latest)))
            return
        await self._answer(query)
        title, payload = pressed
        echo = gateway_texts.in_language(texts.chosen(title), await self._language_of(latest))
        if payload == DELETE_PAYLOAD:
            await self.outbox.put(chat.id, plain_message(echo))
            await self._delete_all(chat.id, _app_language(update))
            return
        await self._receive(chat.id, update.update_id, title, payload, echo=echo, app_language=_app_language(update))

    async def attachment(self, update: Update, context: Context) -> None:
        """Photos, voice notes, stickers, files: a kind answer, and staff see that something came."""
        message = _message(update)
        chat_id = _chat_id(update)
        if not await self._allowed(chat_id, _app_language(update)):
            return
        async with self.chats.lock(chat_id):
            conversation = await self._conversation(chat_id)
            await self.service.add_system_message(conversation.id, texts.only_text(attachment_kind(message)))
        if message.caption:
            await self._receive(
                chat_id, update.update_id, message.caption, limited=False, app_language=_app_language(update)
            )

    async def membership(self, update: Update, context: Context) -> None:
        change = update.my_chat_member
        # A malformed update may come without its chat or member: python-telegram-bot leaves them None.
        chat = change.chat if change is not None else None
        member = change.new_chat_member if change is not None else None
        if chat is None or member is None or chat.type != ChatType.PRIVATE:
            return
        if member.status == ChatMemberStatus.BANNED:
            await self.on_blocked(chat.id)

    # Shared steps ------------------------------------------------------------------------------

    async def _receive(
        self,
        chat_id: int,
        update_id: int,
        text: str,
        payload: str | None = None,
        *,
        echo: str | None = None,
        limited: bool = True,
        app_language: str = DANISH,
    ) -> None:
        if limited and not await self._allowed(chat_id, app_language):
            return
        refusal = too_long(text, self.max_message_length)
        if refusal is not None:
            await self._tell(chat_id, refusal, await self._chat_language(chat_id, app_language))
            return
        if echo:
            await self.outbox.put(chat_id, plain_message(echo))
        async with self.chats.lock(chat_id):
            conversation = await self._conversation(chat_id)
            try:
                await self.service.receive(
                    conversation.id, text, client_message_id=f"tg-{update_id}", rasa_payload=payload
                )
            except MessageRejected as rejected:
                language = await self._language_of(conversation)
                await self._tell(chat_id, rejected.said, language)

    async def _conversation(self, chat_id: int) -> ConversationView:
        latest = await self.service.latest_for_user(CHANNEL, str(chat_id))
        return latest or await self.service.start(CHANNEL, str(chat_id), greet=False)

    async def _pressed(self, latest: ConversationView | None, query: CallbackQuery) -> tuple[str, str | None] | None:
        """The pressed button's title and payload, if it is on offer: a button of the assistant's
        latest turn, or "Slet min samtale" of any message of the conversation (as in the widget)."""
        place = parse_button_data(query.data)
        if place is None or latest is None:
            return None
        button, on_offer = await asyncio.to_thread(button_at, self.service.db, latest.id, *place)
        if button is None or not (on_offer or button["payload"] == DELETE_PAYLOAD):
            return None
        return button["title"], button["payload"] or None

    async def _delete_all(self, chat_id: int, app_language: str) -> None:
        """Delete every conversation this chat has had with us, here and in Rasa's tracker, and the
        bot's messages in the chat where Telegram allows it (those under 48 hours old)."""
        deleted = 0
        language = await self._chat_language(chat_id, app_language)  # of the conversation that is about to go
        async with self.chats.lock(chat_id):
            while deleted < _MAX_CONVERSATIONS_DELETED:
                latest = await self.service.latest_for_user(CHANNEL, str(chat_id))
                if latest is None:
                    break
                await self.service.delete(latest.id)
                deleted += 1
        # The bot's messages in the chat go too, before the notice that says so.
        await self.outbox.put(chat_id, Outgoing("delete_history"))
        await self._tell(chat_id, texts.DELETED if deleted else texts.NOTHING_TO_DELETE, language)

    async def _allowed(self, chat_id: int, app_language: str) -> bool:
        if self.chats.allow(chat_id):
            return True
        await self._tell(chat_id, gateway_texts.SLOW_DOWN, await self._chat_language(chat_id, app_language))
        return False

    async def _tell(self, chat_id: int, notice: Said, language: str) -> None:
        """A notice for this citizen only, not part of the conversation (like the widget's errors), in
        the language of their conversation."""
        await self.outbox.put(chat_id, plain_message(gateway_texts.in_language(notice, language)))

    async def _chat_language(self, chat_id: int, app_language: str) -> str:
        """The language of the chat's latest conversation; the app's language when there is none."""
        latest = await self.service.latest_for_user(CHANNEL, str(chat_id))
        return app_language if latest is None else await self._language_of(latest)

    async def _language_of(self, conversation: ConversationView | None) -> str:
        return await language_of(self.service.db, conversation.id if conversation is not None else None)

    @staticmethod
    async def _answer(query: CallbackQuery, text: str | None = None) -> None:
        # Stops the spinner on the button (and shows `text` briefly): worth one try, never worth
        # holding the citizen up.
        try:
            await query.answer(text)
        except TelegramError as error:
            logger.info("Could not answer a Telegram button press: %s", error)
