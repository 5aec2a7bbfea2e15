"""Staff see each conversation's language (the assistant's slot in Rasa's events) in the queue and
on the conversation page."""
from __future__ import annotations

from tests.console.support import sign_in, waiting_citizen
from tests.support.rasa_tables import set_language_slot


async def test_queue_and_conversation_page_show_the_language(gateway):
    anna = await sign_in(gateway.url, "anna")
    async with waiting_citizen(gateway.url) as danish, waiting_citizen(gateway.url) as newcomer:
        set_language_slot(gateway.db, newcomer.conversation_id, "en")
        set_language_slot(gateway.db, danish.conversation_id, "en")
        set_language_slot(gateway.db, danish.conversation_id, "da")  # switched back: the latest counts
        queue = (await anna.api("GET", "/staff/api/queue")).json()
        labels = {item["id"]: item["language_label"] for item in queue["waiting"]}
        assert labels == {danish.conversation_id: "Dansk", newcomer.conversation_id: "Engelsk"}

        page = (await anna.api("GET", f"/staff/api/conversations/{newcomer.conversation_id}")).json()
        assert page["language"] == "en" and page["language_label"] == "Engelsk"
