"""Staff see each conversation's language (the assistant's slot in Rasa's events) in the queue and
on the conversation page."""
from __future__ import annotations

import json

from sqlalchemy import text

from tests.console.support import sign_in, waiting_citizen


def set_language_slot(gateway, conversation_id: str, value: str) -> None:
    # As Rasa's SQLTrackerStore writes a SlotSet event.
    data = json.dumps({"event": "slot", "timestamp": 1.0, "name": "language", "value": value})
    with gateway.db.session() as session:
        session.execute(
            text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'slot', 1.0, :d)"),
            {"s": conversation_id, "d": data},
        )


async def test_queue_and_conversation_page_show_the_language(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with waiting_citizen(gateway.url) as danish, waiting_citizen(gateway.url) as newcomer:
        set_language_slot(gateway, newcomer.conversation_id, "en")
        set_language_slot(gateway, danish.conversation_id, "en")
        set_language_slot(gateway, danish.conversation_id, "da")  # switched back: the latest counts
        queue = (await anna.api("GET", "/staff/api/queue")).json()
        labels = {item["id"]: item["language_label"] for item in queue["waiting"]}
        assert labels == {danish.conversation_id: "Dansk", newcomer.conversation_id: "Engelsk"}

        page = (await anna.api("GET", f"/staff/api/conversations/{newcomer.conversation_id}")).json()
        assert page["language"] == "en" and page["language_label"] == "Engelsk"
