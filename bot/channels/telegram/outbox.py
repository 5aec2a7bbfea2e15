"""Everything the gateway sends to a Telegram chat goes through that chat's outbox, in order.

A send that fails for a passing reason (Telegram's flood limit with its `retry_after`, a network
error, Telegram being down) is tried again, the flood limit after exactly the pause Telegram asks
for, the rest with a growing pause up to `max_backoff`; the messages behind it wait, so the
citizen reads them in the order they were written. A chat whose citizen blocked the bot (403) is
reported to `on_blocked` and its outbox emptied. Typing indicators are worth one try only.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

logger = logging.getLogger(__name__)

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True)
class Outgoing:
    """One call to Telegram for one chat."""

    kind: str  # "message", "remove_keyboard" or "typing"
    html: str = ""
    plain: str = ""  # the same text without markup, should Telegram refuse the HTML
    keyboard: InlineKeyboardMarkup | None = None
    message_id: int | None = None  # remove_keyboard: which message

    @property
    def best_effort(self) -> bool:
        return self.kind != "message"

    async def send(self, bot: Bot, chat_id: int, html: bool = True) -> None:
        if self.kind == "message":
            if html:
                await bot.send_message(
                    chat_id, self.html, parse_mode=ParseMode.HTML, reply_markup=self.keyboard,
                    link_preview_options=_NO_PREVIEW,
                )
            else:
                await bot.send_message(
                    chat_id, self.plain, reply_markup=self.keyboard, link_preview_options=_NO_PREVIEW
                )
        elif self.kind == "remove_keyboard":
            await bot.edit_message_reply_markup(chat_id, self.message_id, reply_markup=None)
        elif self.kind == "typing":
            await bot.send_chat_action(chat_id, ChatAction.TYPING)


def _seconds(retry_after: Any) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


class Outbox:
    def __init__(
        self,
        bot: Bot,
        *,
        on_blocked: Callable[[int], Awaitable[None]],
        max_backoff: float = 30.0,
        first_backoff: float = 0.5,
    ) -> None:
        self.bot = bot
        self.on_blocked = on_blocked
        self.max_backoff = max_backoff
        self.first_backoff = first_backoff
        self._queues: dict[int, deque[Outgoing]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._open = asyncio.Event()  # set once the bot is ready to send
        self._closing = False

    def open(self) -> None:
        self._open.set()

    def put(self, chat_id: int, item: Outgoing) -> None:
        """Queue one call; never waits, so it is safe inside an event handler."""
        if self._closing:
            return
        queue = self._queues.setdefault(chat_id, deque())
        if item.kind == "typing" and queue:
            return  # a typing indicator behind other messages would be stale when it arrives
        queue.append(item)
        if chat_id not in self._workers:
            self._workers[chat_id] = asyncio.create_task(self._work(chat_id), name=f"telegram-outbox-{chat_id}")

    def pending(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    def forget(self, chat_id: int) -> None:
        queue = self._queues.get(chat_id)
        if queue:
            queue.clear()

    async def drain(self, timeout: float) -> bool:
        """Wait until every queue is empty (True), or `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._workers and loop.time() < deadline:
            await asyncio.wait(set(self._workers.values()), timeout=max(0.0, deadline - loop.time()))
        return not self._workers

    async def close(self) -> None:
        self._closing = True
        left = self.pending()
        if left:
            logger.warning("Telegram: %d message(s) not delivered at shutdown", left)
        for worker in list(self._workers.values()):
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    async def _work(self, chat_id: int) -> None:
        try:
            await self._open.wait()
            queue = self._queues[chat_id]
            while queue:
                item = queue[0]
                if await self._deliver(chat_id, item):
                    if queue and queue[0] is item:
                        queue.popleft()
                else:
                    queue.clear()
                    await self.on_blocked(chat_id)
        except Exception:
            logger.exception("Telegram outbox for chat %s stopped", chat_id)
        finally:
            self._workers.pop(chat_id, None)
            if self._queues.get(chat_id) and not self._closing:
                # Something was queued while this worker was finishing; a new one takes over.
                self._workers[chat_id] = asyncio.create_task(self._work(chat_id), name=f"telegram-outbox-{chat_id}")
            elif chat_id in self._queues:
                del self._queues[chat_id]

    async def _deliver(self, chat_id: int, item: Outgoing) -> bool:
        """Send one item until it is through or cannot ever be; False when the citizen blocked the bot."""
        failures = 0
        html = True
        while True:
            try:
                await item.send(self.bot, chat_id, html)
                return True
            except RetryAfter as error:
                if item.best_effort:
                    return True
                pause = _seconds(error.retry_after)
                logger.info("Telegram flood limit for chat %s: waiting %.1f s", chat_id, pause)
                await asyncio.sleep(pause)
            except Forbidden as error:
                logger.info("Telegram chat %s cannot be reached (%s)", chat_id, error.message)
                return False
            except BadRequest as error:
                if "chat not found" in error.message.lower():
                    return False
                if item.kind == "message" and html and "entities" in error.message.lower():
                    html = False  # the plain text still reaches the citizen
                    continue
                if not item.best_effort:
                    logger.error("Telegram refused a message for chat %s: %s", chat_id, error.message)
                return True
            except (NetworkError, InvalidToken) as error:
                if item.best_effort:
                    return True
                failures += 1
                pause = min(self.max_backoff, self.first_backoff * 2 ** (failures - 1)) * random.uniform(0.8, 1.0)
                log = logger.warning if failures < 5 else logger.error
                log("Telegram send to chat %s failed (%s, try %d); again in %.1f s", chat_id, error, failures, pause)
                await asyncio.sleep(pause)
            except TelegramError as error:
                logger.error("Telegram refused a call for chat %s: %s", chat_id, error)
                return True
