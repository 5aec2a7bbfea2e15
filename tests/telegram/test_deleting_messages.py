"""Deleting the conversation on Telegram also deletes the bot's own messages in the chat, where the
Bot API allows it (messages under 48 hours old); the citizen's own are theirs to delete."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.channels.telegram import texts
from bot.store.models import TelegramSent
from bot.store.telegram_outbox import forget_old_sent
from bot.times import utcnow

CHAT = 8181


def remembered(gateway) -> int:
    """The bot's messages in the chat the gateway remembers (it notes each just after Telegram took it)."""
    with gateway.db.session() as session:
        return session.query(TelegramSent).filter_by(chat_id=CHAT).count()


async def test_slet_min_samtale_deletes_the_bots_messages_in_the_chat(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("/start")
    await citizen.expect("chatbot")
    await citizen.send("Hvad gemmer I om mit privatliv?")
    answer = await citizen.expect("30 dage")
    await citizen.press(answer, "Slet min samtale")
    await citizen.expect("Din samtale er slettet")
    await gateway.fake.wait_for(lambda: len(citizen.texts()) == 1, 10, lambda: f"only the notice: {citizen.texts()}")
    assert citizen.texts() == [texts.DELETED["da"]]
    assert len(gateway.fake.calls_of("deleteMessages")) == 1

    await gateway.fake.wait_for(lambda: remembered(gateway) == 1, 5, "only the notice that it was deleted remembered")


async def test_messages_older_than_telegram_allows_are_not_asked_for_and_are_forgotten(gateway):
    citizen = gateway.citizen(CHAT)
    await citizen.send("Hvad med MitID?")
    await citizen.expect("Hjalp det?")
    await gateway.fake.wait_for(lambda: remembered(gateway) == 2, 5, "both answers remembered")
    with gateway.db.session() as session:
        session.execute(update(TelegramSent).values(sent_at=utcnow() - timedelta(hours=49)))
    await citizen.send("/slet")
    await citizen.expect("Din samtale er slettet")
    assert not gateway.fake.calls_of("deleteMessages")
    assert len(citizen.texts()) == 3
    assert forget_old_sent(gateway.db, utcnow()) == 0  # the deletion let them go already
