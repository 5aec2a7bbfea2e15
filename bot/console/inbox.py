""" "Forbedr chatbotten": the inbox of missed messages and the models page (admins only).

Post/Redirect/Get like pages.py; every form carries the CSRF token (checked by `staff_page`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.config import Settings
from bot.console.auth import console_of, staff_page
from bot.console.forms import read_form
from bot.console.pages import done, show
from bot.danish import TOPIC_LABELS
from bot.learning import inbox, lease, trainer
from bot.learning.inbox import Refused
from bot.store import audit
from bot.store.learning_models import InboxStatus

DECISIONS = {
    "assign": (InboxStatus.ASSIGNED, "inbox_assigned"),
    "out_of_scope": (InboxStatus.OUT_OF_SCOPE, "inbox_out_of_scope"),
    "dismiss": (InboxStatus.DISMISSED, "inbox_dismissed"),
}
INBOX_NOTICES = {
    "decided": "Gemt. Beskeden er ude af indbakken.",
    "kept": "Gemt. Sætningen er med, næste gang chatbotten trænes.",
    "deleted": "Eksemplet er slettet.",
    "training": "Træningen er startet. Den tager nogle minutter.",
    "switched": "Chatbotten bruger nu den valgte model.",
}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def intent_label(intent: str | None) -> str:
    """ "MitID spærret (mitid_blocked)": the Danish topic name where there is one, and always the intent."""
    if not intent:
        return ""
    label = TOPIC_LABELS.get(intent)
    return f"{label} ({intent})" if label else intent


async def _show(request: Request, name: str, title: str, status: int = 200, **context: Any) -> Response:
    context.setdefault("notice", INBOX_NOTICES.get(request.query_params.get("ok", "")))
    return await show(request, name, title, status=status, intent_label=intent_label, **context)


# The inbox ---------------------------------------------------------------------------------------------


@staff_page(admin=True)
async def inbox_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    console = console_of(request)
    # Collect what was missed since the last look: the page is always up to date, and no replica
    # needs a timer for it. The sweep is idempotent, so two admins opening it at once is harmless.
    await asyncio.to_thread(inbox.sweep, console.db, console.municipality.retention_days)
    lines = await asyncio.to_thread(inbox.items, console.db)
    examples = await asyncio.to_thread(inbox.kept_examples, console.db)
    return await _show(
        request,
        "inbox.html",
        "Forbedr chatbotten",
        status=status,
        lines=lines,
        examples=examples,
        intents=inbox.assignable_intents(),
        error=error,
    )


@staff_page(admin=True)
async def inbox_decide(request: Request) -> Response:
    console = console_of(request)
    form = await read_form(request)
    item_id = _int(request.path_params["item_id"])
    decision = DECISIONS.get(str(form.get("decision", "")))
    if decision is None:
        return await inbox_page.__wrapped__(request, error="Vælg, hvad der skal ske med beskeden.", status=400)  # type: ignore[attr-defined]
    state, action = decision
    keep_text = str(form.get("text") or "") if form.get("keep") == "1" and state != InboxStatus.DISMISSED else None
    intent = str(form.get("intent") or "")
    staff_id = request.state.staff.staff_id
    try:
        kept = await asyncio.to_thread(inbox.decide, console.db, item_id, staff_id, state, intent, keep_text)
    except Refused as refused:
        return await inbox_page.__wrapped__(request, error=refused.text, status=400)  # type: ignore[attr-defined]
    details = f"besked {item_id}" + (f", intention {intent}" if state == InboxStatus.ASSIGNED else "")
    await asyncio.to_thread(audit.record, console.db, staff_id, action, details=details)
    if kept is not None:
        await asyncio.to_thread(
            audit.record, console.db, staff_id, "example_kept", details=f"eksempel {kept.id}, {kept.intent}"
        )
    return done("/staff/inbox", "kept" if kept is not None else "decided")


@staff_page(admin=True)
async def example_delete(request: Request) -> Response:
    console = console_of(request)
    example_id = _int(request.path_params["example_id"])
    try:
        await asyncio.to_thread(inbox.delete_example, console.db, example_id)
    except Refused as refused:
        return await inbox_page.__wrapped__(request, error=refused.text, status=404)  # type: ignore[attr-defined]
    await asyncio.to_thread(
        audit.record, console.db, request.state.staff.staff_id, "example_deleted", details=f"eksempel {example_id}"
    )
    return done("/staff/inbox", "deleted")


# The models -----------------------------------------------------------------------------------------


@staff_page(admin=True)
async def models_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    db = console_of(request).db
    models = await asyncio.to_thread(trainer.model_lines, db)
    examples = await asyncio.to_thread(trainer.examples_for_training, db)
    training = await asyncio.to_thread(lease.held, db, lease.TRAINING)
    return await _show(
        request,
        "models.html",
        "Modeller",
        status=status,
        models=models,
        example_count=len(examples),
        training=training,
        error=error,
        gate_margin=trainer.GATE_MARGIN,
    )


@staff_page(admin=True)
async def model_train(request: Request) -> Response:
    console = console_of(request)
    staff_id = request.state.staff.staff_id
    try:
        model_id = await asyncio.to_thread(trainer.start_training, console.db, staff_id)
    except Refused as refused:
        return await models_page.__wrapped__(request, error=refused.text, status=409)  # type: ignore[attr-defined]
    await asyncio.to_thread(audit.record, console.db, staff_id, "model_training", details=f"model {model_id}")
    return done("/staff/models", "training")


@staff_page(admin=True)
async def model_use(request: Request) -> Response:
    console = console_of(request)
    model_id = _int(request.path_params["model_id"])
    staff_id = request.state.staff.staff_id
    models = {line.id: line for line in await asyncio.to_thread(trainer.model_lines, console.db)}
    chosen = models.get(model_id)
    # Going back to a model that served before is a roll-back; a model that passed but never served is a switch.
    action = "model_rolled_back" if chosen is not None and chosen.state == "retired" else "model_switched"
    try:
        await asyncio.to_thread(trainer.switch_to, console.db, model_id, Settings.from_env())
    except Refused as refused:
        return await models_page.__wrapped__(request, error=refused.text, status=409)  # type: ignore[attr-defined]
    except RuntimeError:
        return await models_page.__wrapped__(  # type: ignore[attr-defined]
            request, error="Chatbotten kunne ikke indlæse modellen. Den bruger stadig den model, den havde.", status=502
        )
    await asyncio.to_thread(audit.record, console.db, staff_id, action, details=f"model {model_id}")
    return done("/staff/models", "switched")
