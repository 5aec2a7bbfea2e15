"""The python-telegram-bot Application: built here, and only here, with every handler in view."""
from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.telegram.handlers import CitizenHandlers
from bot.channels.telegram.settings import WEBHOOK, TelegramSettings

# What Telegram sends us; edits, reactions and the like are left with Telegram.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def build_application(settings: TelegramSettings) -> Application:
    builder = (
        Application.builder()
        .token(settings.token)
        .base_url(f"{settings.api_url}/bot")
        .base_file_url(f"{settings.api_url}/file/bot")
        .job_queue(None)
    )
    if settings.mode == WEBHOOK:
        builder = builder.updater(None)  # the gateway's own route receives the updates
    return builder.build()


def add_handlers(application: Application, citizens: CitizenHandlers) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(TypeHandler(Update, citizens.drop_duplicates), group=-1)
    application.add_handlers(
        [
            CommandHandler("start", citizens.start, filters=private),
            CommandHandler("slet", citizens.delete, filters=private),
            CallbackQueryHandler(citizens.button),
            MessageHandler(private & filters.TEXT, citizens.text),
            MessageHandler(private & filters.ATTACHMENT, citizens.attachment),
            ChatMemberHandler(citizens.membership, ChatMemberHandler.MY_CHAT_MEMBER),
        ]
    )
    application.add_error_handler(citizens.failed)
