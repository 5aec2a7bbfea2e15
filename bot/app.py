"""The gateway as one Starlette application: the one place where its parts are wired together.

`create_app` builds the conversation service and delivery (`bot.gateway`), then puts the channels
(`bot.channels.web`, `bot.channels.telegram`) and the staff console (`bot.console`) on top of them.
Everything it needs can be passed in, so tests build the same application with their own parts.
Nothing below imports this module: the layers only ever import downwards.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.channels.telegram import TelegramSettings, telegram_channel
from bot.channels.web import WidgetLimits, web_routes
from bot.config import Municipality, load_municipality
from bot.console import Console, ConsoleSettings
from bot.gateway.assistant_relay import AssistantRelay
from bot.gateway.conversations import ConversationService
from bot.gateway.delivery import Delivery, make_delivery
from bot.gateway.publishing import publish_to
from bot.gateway.rasa import RasaClient
from bot.gateway.retention import run_purge_loop
from bot.gateway.security import AddressAllowList, BodyLimit, SecurityHeaders
from bot.gateway.settings import GatewaySettings
from bot.store import Database

logger = logging.getLogger(__name__)


async def health(request: Request) -> JSONResponse:
    rasa: RasaClient = request.app.state.rasa
    rasa_ready, actions_ready = await asyncio.gather(rasa.ready(), rasa.action_server_ready())
    return JSONResponse({"gateway": True, "rasa": rasa_ready, "actions": actions_ready})


def create_app(
    settings: GatewaySettings | None = None,
    *,
    municipality: Municipality | None = None,
    db: Database | None = None,
    rasa: RasaClient | None = None,
    delivery: Delivery | None = None,
    migrate: bool = True,
    telegram: TelegramSettings | None = None,
    console: ConsoleSettings | None = None,
) -> Starlette:
    settings = settings or GatewaySettings.from_env()
    municipality = municipality or load_municipality(retention_days=settings.base.retention_days)
    db = db or Database(settings.base.database_url)
    rasa = rasa or RasaClient(
        settings.base.rasa_url,
        settings.base.rasa_token,
        timeout=settings.rasa_timeout,
        action_server_health_url=settings.action_server_health_url,
    )
    delivery = delivery or make_delivery(settings.redis_url, settings.redis_key_prefix)
    service = ConversationService(db, municipality, max_message_length=settings.max_message_length)
    publish_to(delivery, service.events)
    assistant = AssistantRelay(service, rasa)
    staff_console = Console(db, service, delivery, municipality, console or ConsoleSettings.from_env())
    telegram_chats = telegram_channel(telegram or TelegramSettings.from_env(), service, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if migrate:
            await asyncio.to_thread(db.upgrade)
        await delivery.start()
        await assistant.recover_pending()
        retry = asyncio.create_task(assistant.run_retry_loop(settings.retry_interval), name="retry-pending")
        purge = asyncio.create_task(
            run_purge_loop(
                db,
                settings.base.retention_days,
                settings.purge_first_delay,
                settings.purge_interval,
                settings.audit_retention_days,
                municipality,
                after_purge=assistant.forget_gone,
                also=telegram_chats.forget_idle_chats if telegram_chats is not None else None,
            ),
            name="retention-purge",
        )
        await staff_console.start()
        if telegram_chats is not None:
            await telegram_chats.start()
        try:
            yield
        finally:
            for task in (retry, purge):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await staff_console.stop()
            await assistant.shutdown()
            if telegram_chats is not None:
                await telegram_chats.stop()
            await delivery.close()
            await rasa.close()

    app = Starlette(
        routes=[
            Route("/health", health),
            *web_routes(),
            *staff_console.routes(),
            *(telegram_chats.routes if telegram_chats is not None else []),
        ],
        middleware=[
            Middleware(SecurityHeaders, hsts_max_age=settings.hsts_max_age),
            Middleware(AddressAllowList, prefix="/staff", networks=settings.staff_allowed_networks),
            Middleware(BodyLimit, default=settings.max_body_bytes, route_limits=settings.body_limits),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.municipality = municipality
    app.state.db = db
    app.state.rasa = rasa
    app.state.delivery = delivery
    app.state.service = service
    app.state.widget_limits = WidgetLimits(settings)
    app.state.assistant = assistant
    app.state.console = staff_console
    app.state.telegram = telegram_chats
    return app
