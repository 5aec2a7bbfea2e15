"""Staff acting on a conversation that someone else changes between the check and the change.

The interleaving is made deterministic: the other staff member's claim runs right after the desk's
check of state and owner, before the desk's change, on SQLite and on PostgreSQL. The database
(the UPDATE's WHERE, or the row lock for a reply) must refuse the stale change."""
from __future__ import annotations

from typing import Awaitable, Callable, Iterator

import pytest
from sqlalchemy import select

from bot.console import ConsoleSettings
from bot.console.accounts import find_staff
from bot.store import Conversation, ConversationState, Message, Sender
from tests.console.support import Gateway, running_gateway, sign_in, waiting_citizen
from tests.support.postgres import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def gateway(request, tmp_path) -> Iterator[Gateway]:
    settings = ConsoleSettings(handoff_timeout=300, tick_seconds=0.1)
    if request.param == "sqlite":
        with running_gateway(tmp_path, settings) as running:
            yield running
    else:
        with fresh_postgres_database("borgerhjaelp_races") as url, running_gateway(tmp_path, settings, database_url=url) as running:
            yield running


def staff_id(gateway: Gateway, username: str) -> int:
    return find_staff(gateway.db, username)[0].id


def stored(gateway: Gateway, conversation_id: str) -> Conversation:
    with gateway.db.session() as session:
        return session.get(Conversation, conversation_id)


def after_the_check(gateway: Gateway, meanwhile: Callable[[str], Awaitable[None]]) -> None:
    """Run `meanwhile` once, right after the desk's next look at a conversation's state and owner."""
    desk = gateway.app.state.console.desk
    look = desk._current

    async def look_then_change(conversation_id: str):
        seen = await look(conversation_id)
        desk._current = look
        await meanwhile(conversation_id)
        return seen

    desk._current = look_then_change


async def test_close_of_a_waiting_conversation_loses_to_a_claim_in_between(gateway):
    bo = await sign_in(gateway.url, "bo")
    service = gateway.app.state.console.service
    anna_id = staff_id(gateway, "anna")

    async def anna_claims(conversation_id: str) -> None:
        assert await service.claim(conversation_id, anna_id, "Anna")

    async with waiting_citizen(gateway.url) as person:
        after_the_check(gateway, anna_claims)
        response = await bo.api("POST", f"/staff/api/conversations/{person.conversation_id}/close")
        assert response.status_code == 409
        assert response.json()["text"] == "Anna har overtaget samtalen imens. Den er ikke afsluttet."
        row = stored(gateway, person.conversation_id)
        assert row.state == ConversationState.HUMAN and row.assigned_staff_id == anna_id


async def test_hand_back_of_a_waiting_conversation_loses_to_a_claim_in_between(gateway):
    bo = await sign_in(gateway.url, "bo")
    service = gateway.app.state.console.service
    anna_id = staff_id(gateway, "anna")

    async def anna_claims(conversation_id: str) -> None:
        assert await service.claim(conversation_id, anna_id, "Anna")

    async with waiting_citizen(gateway.url) as person:
        after_the_check(gateway, anna_claims)
        response = await bo.api("POST", f"/staff/api/conversations/{person.conversation_id}/hand-back")
        assert response.status_code == 409
        assert response.json()["text"] == "Anna har overtaget samtalen imens. Den er ikke givet tilbage til chatbotten."
        row = stored(gateway, person.conversation_id)
        assert row.state == ConversationState.HUMAN and row.assigned_staff_id == anna_id


async def test_an_admin_closing_a_conversation_handed_back_meanwhile_is_refused(gateway):
    """Anna (admin) may close Bo's conversation, but not once Bo has given it back to the assistant:
    closing a conversation the assistant has is a different act than the one she chose."""
    anna = await sign_in(gateway.url, "anna")
    service = gateway.app.state.console.service
    bo_id = staff_id(gateway, "bo")
    async with waiting_citizen(gateway.url) as person:
        conversation = person.conversation_id
        assert await service.claim(conversation, bo_id, "Bo")

        async def bo_hands_back(conversation_id: str) -> None:
            assert await service.hand_back(conversation_id, bo_id)

        after_the_check(gateway, bo_hands_back)
        response = await anna.api("POST", f"/staff/api/conversations/{conversation}/close")
        assert response.status_code == 409
        assert response.json()["text"] == "Samtalen er ændret imens. Den er ikke afsluttet. Se den igen."
        assert stored(gateway, conversation).state == ConversationState.BOT


async def test_an_admin_still_closes_someone_elses_conversation(gateway):
    anna = await sign_in(gateway.url, "anna")
    service = gateway.app.state.console.service
    async with waiting_citizen(gateway.url) as person:
        assert await service.claim(person.conversation_id, staff_id(gateway, "bo"), "Bo")
        response = await anna.api("POST", f"/staff/api/conversations/{person.conversation_id}/close")
        assert response.status_code == 200
        assert stored(gateway, person.conversation_id).state == ConversationState.CLOSED


async def test_a_reply_after_losing_the_conversation_is_not_sent(gateway):
    bo = await sign_in(gateway.url, "bo")
    service = gateway.app.state.console.service
    anna_id, bo_id = staff_id(gateway, "anna"), staff_id(gateway, "bo")
    async with waiting_citizen(gateway.url) as person:
        conversation = person.conversation_id
        assert await service.claim(conversation, bo_id, "Bo")

        async def handed_back_and_claimed_by_anna(conversation_id: str) -> None:
            assert await service.hand_back(conversation_id, anna_id)
            assert await service.request_handoff(conversation_id, "request_human")
            assert await service.claim(conversation_id, anna_id, "Anna")

        after_the_check(gateway, handed_back_and_claimed_by_anna)
        response = await bo.api("POST", f"/staff/api/conversations/{conversation}/reply", {"text": "Hej fra Bo"})
        assert response.status_code == 409
        assert response.json()["text"] == "Anna har overtaget samtalen imens. Dit svar er ikke sendt."
    with gateway.db.session() as session:
        staff_texts = session.scalars(
            select(Message.text).where(Message.conversation_id == conversation, Message.sender == Sender.STAFF)
        ).all()
    assert staff_texts == []


async def test_the_service_refuses_a_change_when_state_or_owner_moved(gateway):
    """The same rule one layer down, for any caller of ConversationService."""
    from bot.gateway.conversations import MessageRejected, Seen

    service = gateway.app.state.console.service
    anna_id, bo_id = staff_id(gateway, "anna"), staff_id(gateway, "bo")
    async with waiting_citizen(gateway.url) as person:
        conversation = person.conversation_id
        seen_waiting = Seen(ConversationState.WAITING, None)
        assert await service.claim(conversation, anna_id, "Anna")
        assert not await service.close(conversation, bo_id, seen=seen_waiting)
        assert not await service.hand_back(conversation, bo_id, seen=seen_waiting)
        assert not await service.close(conversation, bo_id, seen=Seen(ConversationState.HUMAN, bo_id))
        with pytest.raises(MessageRejected) as refused:
            await service.reply_as_staff(conversation, bo_id, "Ikke min samtale")
        assert refused.value.code == "not_owner"
        assert stored(gateway, conversation).assigned_staff_id == anna_id
        assert await service.hand_back(conversation, anna_id, seen=Seen(ConversationState.HUMAN, anna_id))
        assert stored(gateway, conversation).state == ConversationState.BOT
