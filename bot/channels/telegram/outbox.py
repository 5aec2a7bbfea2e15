"""Everything the gateway sends to a Telegram chat goes through the outbox, in order, kept in the
database (`telegram_outbox`), so a message queued before a restart or a crash is sent after it, by
this gateway or by another replica.

A send that fails for a passing reason is tried again: after Telegram's flood limit, not before the
`retry_after` it gives; after a network error or Telegram being down, with a growing pause up to
`max_backoff`. The chat's later messages wait, so the citizen reads them in the order they were
written. A message still not through `give_up_after` seconds after it was queued, or one Telegram
refuses outright, is given up: the reason is logged and left as a note on the conversation, which
staff see in the console. A chat whose citizen blocked the bot (403) is reported to `on_blocked`
and its outbox emptied. Typing indicators are worth one try only and never stored.

Memory stays bounded: rows are read one at a time per chat, and at most `max_chats` chats are sent
to at once by one replica. A send that timed out may have reached Telegram; trying it again may show
the citizen the message twice, which is better than never.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.store import Database
from bot.store import telegram_outbox as rows
from bot.times import as_utc, utcnow

logger = logging.getLogger(__name__)

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_LEASE = timedelta(seconds=60)  # far longer than one call to Telegram may take (python-telegram-bot's timeouts)
_MAX_TYPING = 100  # typing indicators in flight at once; more are not worth the memory


@dataclass(frozen=True)
class Outgoing:
    """One call to Telegram for one chat."""

    kind: str  # "message", "remove_keyboard", "delete_history" (the bot's messages in the chat) or "typing"
    html: str = ""
    plain: str = ""  # the same text without markup, should Telegram refuse the HTML
    keyboard: InlineKeyboardMarkup | None = None
    message_id: int | None = None  # remove_keyboard: which message

    @property
    def best_effort(self) -> bool:
        """Worth one try only; the others are tried again until they go through or are given up."""
        return self.kind not in ("message", "delete_history")

    def body(self) -> dict[str, Any]:
        return {
            "html": self.html,
            "plain": self.plain,
            "keyboard": self.keyboard.to_dict() if self.keyboard is not None else None,
            "message_id": self.message_id,
        }

    @classmethod
    def from_row(cls, kind: str, body: dict[str, Any], bot: Bot) -> Outgoing:
        keyboard = body.get("keyboard")
        return cls(
            kind,
            html=body.get("html") or "",
            plain=body.get("plain") or "",
            keyboard=InlineKeyboardMarkup.de_json(keyboard, bot) if keyboard else None,
            message_id=body.get("message_id"),
        )

    async def send(self, bot: Bot, chat_id: int, html: bool = True) -> int | None:
        """Make the call; for a message, the id Telegram gave it."""
        if self.kind == "message":
            if html:
                sent = await bot.send_message(
                    chat_id, self.html, parse_mode=ParseMode.HTML, reply_markup=self.keyboard,
                    link_preview_options=_NO_PREVIEW,
                )
            else:
                sent = await bot.send_message(
                    chat_id, self.plain, reply_markup=self.keyboard, link_preview_options=_NO_PREVIEW
                )
            return sent.message_id
        elif self.kind == "remove_keyboard":
            await bot.edit_message_reply_markup(chat_id, self.message_id, reply_markup=None)
        elif self.kind == "typing":
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
        return None


def _seconds(retry_after: Any) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


def _gave_up_note(item: Outgoing, reason: str) -> str:
    said = item.plain if len(item.plain) <= 200 else item.plain[:200] + "…"
    return f"Telegram: Beskeden kunne ikke sendes til borgeren ({reason}). Borgeren har ikke fået: «{said}»"


class _Retry(Exception):
    def __init__(self, pause: float, reason: str, counts: bool) -> None:
        super().__init__(reason)
        self.pause, self.reason, self.counts = pause, reason, counts


class _GiveUp(Exception):
    pass


class _Blocked(Exception):
    pass


class Outbox:
    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        on_blocked: Callable[[int], Awaitable[None]],
        max_backoff: float = 30.0,
        first_backoff: float = 0.5,
        give_up_after: float = 3600.0,
        poll_interval: float = 1.0,
        max_chats: int = 32,
    ) -> None:
        self.bot = bot
        self.db = db
        self.on_blocked = on_blocked
        self.max_backoff = max_backoff
        self.first_backoff = first_backoff
        self.give_up_after = give_up_after
        self.poll_interval = poll_interval
        self.max_chats = max_chats
        self.replica = uuid.uuid4().hex  # whose lease a row is under
        self._chats: dict[int, asyncio.Task[None]] = {}  # chats this replica is sending to now
        self._typing: set[asyncio.Task[None]] = set()
        self._typing_after: set[int] = set()  # chats to show typing in once their sender is done
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._closing = False

    def open(self) -> None:
        """The bot is ready: send what is queued, also what was queued before a restart."""
        if self._dispatcher is None and not self._closing:
            self._dispatcher = asyncio.create_task(self._dispatch(), name="telegram-outbox")

    async def put(self, chat_id: int, item: Outgoing, conversation_id: str | None = None) -> None:
        """Queue one call; stored before this returns, so it survives a restart (also while the
        gateway is stopping: then the next start, or another replica, sends it)."""
        if item.kind == "typing":
            if not self._closing:
                self._send_typing(chat_id)
            return
        try:
            await asyncio.to_thread(rows.queue, self.db, chat_id, item.kind, item.body(), conversation_id)
        except IntegrityError:
            logger.info("Telegram chat %s: not queued, its conversation was deleted meanwhile", chat_id)
            return
        self._wake.set()

    def sending(self) -> int:
        """How many chats this replica is sending to now (at most `max_chats`)."""
        return len(self._chats)

    async def pending(self) -> int:
        return await asyncio.to_thread(rows.pending, self.db)

    async def forget(self, chat_id: int) -> None:
        await asyncio.to_thread(rows.drop_chat, self.db, chat_id)

    async def drain(self, timeout: float) -> bool:
        """Wait until nothing is queued (True), or `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await self.pending():
            if loop.time() >= deadline:
                return False
            self._wake.set()
            await asyncio.sleep(0.05)
        return True

    async def close(self) -> None:
        """Stop sending; what is still queued stays in the database for the next start (or another replica)."""
        self._closing = True
        tasks = [t for t in (self._dispatcher, *self._chats.values(), *self._typing) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await asyncio.to_thread(rows.release, self.db, self.replica)
        with contextlib.suppress(Exception):
            left = await self.pending()
            if left:
                logger.info("Telegram: %d call(s) left queued at shutdown; sent after the next start", left)

    # Sending -----------------------------------------------------------------------------------

    async def _dispatch(self) -> None:
        """Start a sender for each chat with a row due, as room allows; look again when something
        was queued or a sender finished, and at least every `poll_interval` (rows of other replicas,
        rows waiting out a pause)."""
        while True:
            self._wake.clear()
            room = self.max_chats - len(self._chats)
            if room > 0:
                try:
                    due = await asyncio.to_thread(rows.due_chats, self.db, utcnow(), room, set(self._chats))
                except Exception:
                    logger.exception("Telegram outbox: could not read the queue; trying again")
                    due = []
                for chat_id in due:
                    task = asyncio.create_task(self._send_chat(chat_id), name=f"telegram-chat-{chat_id}")
                    self._chats[chat_id] = task
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def _send_chat(self, chat_id: int) -> None:
        """The chat's rows one after another, while they are due and no other replica holds them."""
        try:
            while not self._closing:
                row = await asyncio.to_thread(rows.claim_first, self.db, chat_id, self.replica, utcnow(), _LEASE)
                if row is None:
                    if chat_id in self._typing_after:
                        await self._typing_once(chat_id)
                    return
                if not await self._try(row):
                    return
        except Exception:
            logger.exception("Telegram outbox for chat %s stopped; its rows wait for the next round", chat_id)
        finally:
            self._typing_after.discard(chat_id)
            self._chats.pop(chat_id, None)
            self._wake.set()

    async def _try(self, row: rows.Claimed) -> bool:
        """One try of one row, settled in the database; False when the chat's next row must wait."""
        item = Outgoing.from_row(row.kind, row.body, self.bot)
        try:
            sent = await self._call(row.chat_id, item, row.failures)
        except _Retry as retry:
            waited = (utcnow() - as_utc(row.created_at)).total_seconds()
            if item.best_effort:
                logger.info("Telegram %s for chat %s dropped (%s)", item.kind, row.chat_id, retry.reason)
            elif waited >= self.give_up_after:
                await self._give_up(row, item, f"{retry.reason}; prøvet i {waited / 60:.0f} min")
                return True
            else:
                failures = row.failures + (1 if retry.counts else 0)
                not_before = utcnow() + timedelta(seconds=retry.pause)
                await asyncio.to_thread(rows.try_again, self.db, row.id, not_before, failures, retry.reason)
                return False
        except _GiveUp as refused:
            if item.best_effort:
                logger.info("Telegram %s for chat %s refused (%s)", item.kind, row.chat_id, refused)
            else:
                await self._give_up(row, item, str(refused))
                return True
        except _Blocked:
            await asyncio.to_thread(rows.drop_chat, self.db, row.chat_id)
            await self.on_blocked(row.chat_id)
            return False
        await asyncio.to_thread(rows.done, self.db, row.id, (row.chat_id, sent) if sent is not None else None)
        return True

    async def _give_up(self, row: rows.Claimed, item: Outgoing, reason: str) -> None:
        if item.kind != "message":
            # Deleting the chat's messages: the conversation is gone, so there is nobody to tell but the log.
            await asyncio.to_thread(rows.done, self.db, row.id)
            await asyncio.to_thread(rows.forget_sent, self.db, row.chat_id)
            logger.error("Telegram: gave up deleting the bot's messages in chat %s: %s", row.chat_id, reason)
            return
        conversation_id = await asyncio.to_thread(rows.give_up, self.db, row, _gave_up_note(item, reason))
        logger.error(
            "Telegram: gave up a message for chat %s (conversation %s): %s", row.chat_id, conversation_id, reason
        )

    async def _call(self, chat_id: int, item: Outgoing, failures: int) -> int | None:
        """Make the call (`failures`: how many network errors it met before) and return the id of
        the message sent, if any; raise _Retry, _GiveUp or _Blocked when it did not go through."""
        try:
            if item.kind == "delete_history":
                await self._delete_history(chat_id)
                return None
            return await item.send(self.bot, chat_id)
        except RetryAfter as error:
            pause = _seconds(error.retry_after)
            logger.info("Telegram flood limit for chat %s: waiting %.1f s", chat_id, pause)
            raise _Retry(pause, f"Telegram bad os vente {pause:.0f} s", counts=False) from None
        except Forbidden as error:
            logger.info("Telegram chat %s cannot be reached (%s)", chat_id, error.message)
            raise _Blocked from None
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                raise _Blocked from None
            if item.kind == "message" and "entities" in error.message.lower():
                try:
                    return await item.send(self.bot, chat_id, html=False)  # the plain text still reaches the citizen
                except TelegramError as plain_error:
                    raise _GiveUp(f"Telegram afviste beskeden: {plain_error}") from None
            raise _GiveUp(f"Telegram afviste beskeden: {error.message}") from None
        except (NetworkError, InvalidToken) as error:
            pause = min(self.max_backoff, self.first_backoff * 2**failures) * random.uniform(0.8, 1.0)
            log = logger.warning if failures < 5 else logger.error
            log("Telegram send to chat %s failed (%s, try %d); again in %.1f s", chat_id, error, failures + 1, pause)
            raise _Retry(pause, f"Telegram kunne ikke nås: {error}", counts=True) from None
        except TelegramError as error:
            raise _GiveUp(f"Telegram afviste beskeden: {error}") from None

    async def _delete_history(self, chat_id: int) -> None:
        """The bot's messages in the chat that Telegram still lets it delete (100 a call, its limit).
        Every row queued before this one is sent by now, so its message is among them."""
        ids = await asyncio.to_thread(rows.deletable, self.db, chat_id, utcnow())
        for start in range(0, len(ids), 100):
            await self.bot.delete_messages(chat_id, ids[start : start + 100])
        await asyncio.to_thread(rows.forget_sent, self.db, chat_id)

    def _send_typing(self, chat_id: int) -> None:
        if chat_id in self._chats:
            # A message is on its way: typing shown before it arrives would be stale, so it is shown
            # once the chat's sender has nothing more to send (at most one wish per running sender).
            self._typing_after.add(chat_id)
            return
        if len(self._typing) >= _MAX_TYPING:
            return
        task = asyncio.create_task(self._typing_once(chat_id), name=f"telegram-typing-{chat_id}")
        self._typing.add(task)
        task.add_done_callback(self._typing.discard)

    async def _typing_once(self, chat_id: int) -> None:
        try:
            await Outgoing("typing").send(self.bot, chat_id)
        except TelegramError as error:
            logger.debug("Telegram typing for chat %s not shown: %s", chat_id, error)
