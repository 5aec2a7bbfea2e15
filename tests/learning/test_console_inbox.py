"""The inbox and models pages over real HTTP: admins only, CSRF on every form, every act in the audit log."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.console import ConsoleSettings
from bot.learning import inbox, lease
from bot.store.models import AuditEntry
from tests.console.support import Gateway, running_gateway, sign_in
from tests.learning.support import Tracker


@pytest.fixture
def gateway(tmp_path) -> Iterator[Gateway]:
    inbox.normalised("varm op")  # the Danish lexicon loads once per process: not inside a request's timeout
    with running_gateway(tmp_path, ConsoleSettings(handoff_timeout=300, tick_seconds=0.1)) as running:
        yield running


def audit_actions(gateway: Gateway) -> list[str]:
    with gateway.db.session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def test_an_admin_assigns_keeps_and_deletes_and_the_log_says_who(gateway):
    Tracker(gateway.db, "a" * 32).not_understood(
        "min <b>kode</b> virker ik", [("nlu_fallback", 0.6), ("mitid_forgot_pin", 0.3), ("mitid_blocked", 0.1)]
    )
    anna = await sign_in(gateway.url, "anna")
    page = await anna.client.get("/staff/inbox")
    assert page.status_code == 200
    assert "min &lt;b&gt;kode&lt;/b&gt; virker ik" in page.text  # citizen text is escaped
    assert "<b>kode</b>" not in page.text
    item_id = int(re.search(r'action="/staff/inbox/(\d+)/decide"', page.text).group(1))
    assert re.search(r'<option value="mitid_forgot_pin" selected>', page.text)  # the best guess is preselected

    stale = await anna.form(f"/staff/inbox/{item_id}/decide", {"decision": "assign", "intent": "mitid_forgot_pin"}, csrf="forkert")
    assert stale.status_code == 403
    done = await anna.form(
        f"/staff/inbox/{item_id}/decide",
        {"decision": "assign", "intent": "mitid_forgot_pin", "keep": "1", "text": "min kode virker ikke"},
    )
    assert done.status_code == 303
    page = await anna.client.get("/staff/inbox")
    assert "Indbakken er tom" in page.text
    assert "min kode virker ikke" in page.text  # listed under the kept examples
    [example] = inbox.kept_examples(gateway.db)
    assert (example.text, example.intent) == ("min kode virker ikke", "mitid_forgot_pin")

    deleted = await anna.form(f"/staff/inbox/examples/{example.id}/delete")
    assert deleted.status_code == 303
    assert inbox.kept_examples(gateway.db) == []
    assert audit_actions(gateway)[-3:] == ["inbox_assigned", "example_kept", "example_deleted"]


async def test_assigning_without_the_explicit_keep_keeps_nothing(gateway):
    Tracker(gateway.db, "b" * 32).not_understood("vejret i aarhus", [("nlu_fallback", 0.6), ("out_of_scope", 0.3)])
    anna = await sign_in(gateway.url, "anna")
    page = await anna.client.get("/staff/inbox")
    item_id = int(re.search(r'action="/staff/inbox/(\d+)/decide"', page.text).group(1))
    response = await anna.form(f"/staff/inbox/{item_id}/decide", {"decision": "out_of_scope", "text": "vejret i aarhus"})
    assert response.status_code == 303
    assert inbox.kept_examples(gateway.db) == []
    assert audit_actions(gateway)[-1] == "inbox_out_of_scope"


async def test_staff_who_are_not_admins_cannot_see_or_change_the_inbox_or_the_models(gateway):
    Tracker(gateway.db, "c" * 32).not_understood("hemmelig besked")
    bo = await sign_in(gateway.url, "bo")
    for path in ("/staff/inbox", "/staff/models"):
        response = await bo.client.get(path)
        assert response.status_code == 403 and "hemmelig" not in response.text
    for path in ("/staff/inbox/1/decide", "/staff/inbox/examples/1/delete", "/staff/models/train", "/staff/models/1/use"):
        assert (await bo.form(path, {"decision": "dismiss"})).status_code == 403
    assert not lease.held(gateway.db, lease.TRAINING)


async def test_a_second_training_is_refused_while_one_runs(gateway):
    assert lease.take(gateway.db, lease.TRAINING, "another-replica")
    anna = await sign_in(gateway.url, "anna")
    page = await anna.client.get("/staff/models")
    assert "Der kører en træning nu" in page.text
    refused = await anna.form("/staff/models/train")
    assert refused.status_code == 409
    assert "Der kører allerede en træning" in refused.text
