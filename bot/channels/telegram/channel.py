"""The Telegram channel as one part of the gateway: its webhook route, its start and stop, and the
wiring between python-telegram-bot, the conversation service and the chats' outboxes.

Webhook mode: Telegram posts each update to the gateway's route with the secret token in
`X-Telegram-Bot-Api-Secret-Token`; anything without it is refused. The update is handled (stored)
before the route answers, and a failure answers 500, so Telegram delivers it again.
Polling mode: the Application's updater asks Telegram for updates; no public address needed.
"""
from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.error import InvalidToken, TelegramError

from bot.channels.telegram import texts
from bot.channels.telegram.application import ALLOWED_UPDATES, add_handlers, build_application
from bot.channels.telegram.handlers import CitizenHandlers
from bot.channels.telegram.outbox import Outbox
from bot.channels.telegram.replies import CHANNEL, ChatReplies
from bot.channels.telegram.settings import WEBHOOK, TelegramSettings
from bot.gateway.conversations import ConversationService
from bot.gateway.settings import GatewaySettings
from bot.store import ConversationState

logger = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"
_MAX_UPDATE_BYTES = 1_000_000
_DRAIN_AT_STOP = 5.0


class TelegramChannel:
    def __init__(self, settings: TelegramSettings, service: ConversationService, gateway: GatewaySettings) -> None:
        self.settings = settings
        self.service = service
        self.blocked: set[int] = set()  # chats whose citizen blocked the bot; nothing is sent there
        self.application = build_application(settings)
        self.outbox = Outbox(
            self.application.bot,
            service.db,
            on_blocked=self.citizen_blocked,
            max_backoff=settings.max_backoff,
            give_up_after=settings.give_up_after,
        )
        self.citizens = CitizenHandlers(
            service,
            self.outbox,
            blocked=self.blocked,
            on_blocked=self.citizen_blocked,
            max_message_length=gateway.max_message_length,
            rate_limit_messages=gateway.rate_limit_messages,
            rate_limit_seconds=gateway.rate_limit_seconds,
        )
        add_handlers(self.application, self.citizens)
        ChatReplies(self.outbox, self.blocked.__contains__, service.db).listen(service.events)
        self.ready = asyncio.Event()
        self._connecting: asyncio.Task[None] | None = None

    @property
    def routes(self) -> list[Route]:
        if self.settings.mode != WEBHOOK:
            return []
        return [Route(self.settings.webhook_path, self.webhook, methods=["POST"])]

    # Lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to Telegram in the background: the web widget must not wait for Telegram."""
        self._connecting = asyncio.create_task(self._connect(), name="telegram-connect")

    async def _connect(self) -> None:
        pause = 1.0
        while True:
            try:
                await self.application.initialize()
                bot = self.application.bot
                if self.settings.mode == WEBHOOK:
                    await bot.set_webhook(
                        self.settings.webhook_url,
                        secret_token=self.settings.webhook_secret,
                        allowed_updates=ALLOWED_UPDATES,
                    )
                else:
                    updater = self.application.updater
                    assert updater is not None, "build_application gives an updater in polling mode"
                    await updater.start_polling(
                        timeout=self.settings.poll_timeout, allowed_updates=ALLOWED_UPDATES
                    )
                await self.application.start()
                break
            except InvalidToken:
                logger.error("Telegram refused TELEGRAM_BOT_TOKEN; the Telegram channel stays off")
                await self.outbox.close()
                return
            except TelegramError as error:
                logger.warning("Could not reach Telegram (%s); trying again in %.0f s", error, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.settings.max_backoff)
        self.outbox.open()
        self.ready.set()
        logger.info("Telegram: connected as @%s (%s)", self.application.bot.username, self.settings.mode)

    async def stop(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        application = self.application
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if self.ready.is_set():
            # What the assistant just said reaches the citizen now; what does not is sent after the next start.
            await self.outbox.drain(_DRAIN_AT_STOP)
        await self.outbox.close()
        if application.running:
            await application.stop()
        with contextlib.suppress(Exception):
            await application.shutdown()

    # Webhook -----------------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.settings.webhook_secret.encode()):
            logger.warning("Refused a Telegram webhook call without the right secret token")
            return JSONResponse({"error": "forbidden"}, status_code=403)
        if not self.ready.is_set():
            return JSONResponse({"error": "starting"}, status_code=503)  # Telegram tries again
        body = await request.body()
        if len(body) > _MAX_UPDATE_BYTES:
            return JSONResponse({"error": "too large"}, status_code=413)
        try:
            data = json.loads(body)
            # Telegram always sends an object with an integer update_id; anything else is not from it.
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("not an update")
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            # OverflowError: a date beyond what the platform's clock can hold.
            return JSONResponse({"error": "not an update"}, status_code=400)
        if update is None:
            return JSONResponse({"error": "not an update"}, status_code=400)
        await self.application.process_update(update)
        if self.citizens.take_failure(update.update_id):
            return JSONResponse({"error": "not handled"}, status_code=500)
        return JSONResponse({"ok": True})

    # Faults ------------------------------------------------------------------------------------

    def forget_idle_chats(self) -> None:
        """With the retention purge: rate limiters of chats that have been quiet are let go."""
        self.citizens.chats.forget_idle()

    async def citizen_blocked(self, chat_id: int) -> None:
        """The citizen blocked the bot: nothing reaches them, so their conversation is closed."""
        if chat_id in self.blocked:
            return
        self.blocked.add(chat_id)
        await self.outbox.forget(chat_id)
        conversation = await self.service.latest_for_user(CHANNEL, str(chat_id))
        if conversation is not None and conversation.state != ConversationState.CLOSED:
            await self.service.add_system_message(conversation.id, texts.BLOCKED_NOTE)
            await self.service.close(conversation.id)
        logger.info("Telegram chat %s blocked the bot; its conversation is closed", chat_id)


def telegram_channel(
    settings: TelegramSettings, service: ConversationService, gateway: GatewaySettings
) -> TelegramChannel | None:
    """The channel, or None when no bot token is set."""
    return TelegramChannel(settings, service, gateway) if settings.enabled else None
