"""The bookings page: today's and coming times, done / no-show, cancelling (the citizen is told), hours."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from bot.booking.config import parse_booking_settings
from bot.booking.service import BookingService
from bot.store import AuditEntry, AvailabilityException, AvailabilityRule, Booking, BookingKind, BookingStatus
from bot.store.models import utcnow
from tests.console.support import citizen, sign_in


def add_booking(gateway, reference: str, starts_at: datetime, conversation_id: str | None = None, **extra) -> int:
    with gateway.db.session() as session:
        booking = Booking(
            reference=reference,
            kind=extra.pop("kind", BookingKind.CALLBACK),
            topic="mitid_forgot_pin",
            starts_at=starts_at,
            length_minutes=15,
            first_name=extra.pop("first_name", "Karen"),
            phone="20304050",
            channel="web",
            conversation_id=conversation_id,
            summary="Borgeren har glemt sin adgangskode til MitID.",
            status=extra.pop("status", BookingStatus.BOOKED),
        )
        session.add(booking)
        session.flush()
        return booking.id


def status_of(gateway, booking_id: int) -> BookingStatus:
    with gateway.db.session() as session:
        return BookingStatus(session.get(Booking, booking_id).status)


async def test_today_and_coming_bookings_with_their_summaries(gateway):
    staff = await sign_in(gateway.url, "bo")
    now = utcnow()
    add_booking(gateway, "GAMMEL1", now - timedelta(days=2), first_name="Gammel")
    add_booking(gateway, "SNART22", now + timedelta(hours=1), first_name="Snart")
    add_booking(gateway, "SENERE3", now + timedelta(days=3), first_name="Senere", kind=BookingKind.MEETING)
    page = (await staff.client.get("/staff/bookings")).text
    assert "Gammel" not in page
    assert page.index("SNART22") < page.index("SENERE3")
    assert "Borgeren har glemt sin adgangskode til MitID." in page
    assert "MitID: glemt PIN-kode eller adgangskode" in page and "20 30 40 50" in page
    assert "Møde i borgerservice" in page and "Opringning" in page
    # The citizen's word for it: a "kode" is never to be given away (facts.md 1.6).
    assert '<th scope="col">Bestillingsnummer</th>' in page and ">Kode<" not in page


async def test_mark_done_and_no_show(gateway):
    staff = await sign_in(gateway.url, "bo")
    done = add_booking(gateway, "GJORT11", utcnow() + timedelta(hours=1))
    missed = add_booking(gateway, "VÆK2222", utcnow() + timedelta(hours=2))
    response = await staff.form(f"/staff/bookings/{done}/mark", {"mark": "done"})
    assert response.status_code == 303 and response.headers["location"] == "/staff/bookings?ok=marked"
    await staff.form(f"/staff/bookings/{missed}/mark", {"mark": "no_show"})
    assert status_of(gateway, done) == BookingStatus.DONE and status_of(gateway, missed) == BookingStatus.NO_SHOW
    again = await staff.form(f"/staff/bookings/{done}/mark", {"mark": "no_show"})
    assert again.status_code == 409 and "ikke længere bestilt" in again.text
    assert (await staff.form(f"/staff/bookings/{missed}/mark", {"mark": "nonsense"})).status_code == 400
    page = (await staff.client.get("/staff/bookings?ok=marked")).text
    assert "Tiden er markeret." in page and "Gennemført" in page and "Udeblev" in page


async def test_cancel_tells_the_citizen_in_their_conversation(gateway):
    staff = await sign_in(gateway.url, "bo")
    async with citizen(gateway.url) as person:
        await person.until(lambda m: m["sender"] == "bot")  # the greeting
        booking_id = add_booking(gateway, "AFLYS12", utcnow() + timedelta(days=1), person.conversation_id)
        page = (await staff.client.get("/staff/bookings")).text
        assert f"/staff/conversations/{person.conversation_id}" in page
        response = await staff.form(f"/staff/bookings/{booking_id}/cancel")
        assert response.status_code == 303
        told = await person.until(lambda m: "aflyst" in m["text"])
        assert "AFLYS12" in told["text"] and gateway.municipality.borgerservice.phone in told["text"]
        assert "bestillingsnummer AFLYS12" in told["text"] and "kode" not in told["text"]
        assert told["buttons"] == [{"title": "Bestil tid", "payload": "/book_helper"}]
    assert status_of(gateway, booking_id) == BookingStatus.CANCELLED
    assert (await staff.form(f"/staff/bookings/{booking_id}/cancel")).status_code == 409
    # A booking whose conversation was deleted is cancelled all the same.
    orphan = add_booking(gateway, "INGEN12", utcnow() + timedelta(days=1), "f" * 32)
    assert (await staff.form(f"/staff/bookings/{orphan}/cancel")).status_code == 303
    with gateway.db.session() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.booking_id.is_not(None))))
        assert actions == ["booking_cancelled", "booking_cancelled"]


async def test_admins_edit_the_helpers_hours(gateway):
    anna = await sign_in(gateway.url, "anna")
    page = await anna.client.get("/staff/availability")
    assert page.status_code == 200
    with gateway.db.session() as session:
        loaded = session.scalars(select(AvailabilityRule)).all()
    assert loaded, "the configured schedule is copied in on first view"
    assert "Mandag" in page.text

    added = await anna.form(
        "/staff/availability/rules", {"kind": "meeting", "weekday": "5", "start": "10:00", "end": "12:00", "slot_minutes": "30"}
    )
    assert added.status_code == 303
    with gateway.db.session() as session:
        saturday = session.scalars(select(AvailabilityRule).where(AvailabilityRule.weekday == 5)).one()
    assert (saturday.start_time, saturday.end_time, saturday.slot_minutes) == (time(10), time(12), 30)

    bad = await anna.form(
        "/staff/availability/rules", {"kind": "meeting", "weekday": "5", "start": "12:00", "end": "10:00", "slot_minutes": "30"}
    )
    assert bad.status_code == 400 and "Sluttidspunktet" in bad.text

    # The assistant's booking reads the same tables: a meeting that Saturday now, none once it is closed.
    settings = parse_booking_settings(gateway.municipality.raw, gateway.municipality)
    service = BookingService(gateway.db, settings, gateway.municipality.timezone)

    def meeting_days() -> set[date]:
        return {slot.local(gateway.municipality.timezone).date() for slot in service.free_slots(BookingKind.MEETING)}

    coming_saturday = date.today() + timedelta(days=(5 - date.today().weekday()) % 7 or 7)
    assert coming_saturday in meeting_days()
    closed = await anna.form(
        "/staff/availability/exceptions",
        {"day": coming_saturday.isoformat(), "kind": "meeting", "closed": "1", "note": "Personaledag"},
    )
    assert closed.status_code == 303
    page = (await anna.client.get("/staff/availability")).text
    assert "Personaledag" in page and "Lukket" in page
    assert coming_saturday not in meeting_days()

    with gateway.db.session() as session:
        exception_id = session.scalars(select(AvailabilityException.id).where(AvailabilityException.note == "Personaledag")).one()
    assert (await anna.form(f"/staff/availability/exceptions/{exception_id}/delete")).status_code == 303
    assert (await anna.form(f"/staff/availability/rules/{saturday.id}/delete")).status_code == 303
    with gateway.db.session() as session:
        assert session.get(AvailabilityRule, saturday.id) is None
        assert session.get(AvailabilityException, exception_id) is None


async def test_canned_answers_are_staff_editable(gateway):
    bo = await sign_in(gateway.url, "bo")
    before = (await bo.api("GET", "/staff/api/canned")).json()["answers"]
    assert before, "the migration brings a few to start with"
    assert (await bo.form("/staff/canned", {"title": "Hej", "text": "Hej, jeg hjælper dig gerne."})).status_code == 303
    answers = {a["title"]: a for a in (await bo.api("GET", "/staff/api/canned")).json()["answers"]}
    hello = answers["Hej"]
    await bo.form(f"/staff/canned/{hello['id']}", {"title": "Hej", "text": "Hej! Hvad kan jeg hjælpe med?"})
    answers = {a["title"]: a for a in (await bo.api("GET", "/staff/api/canned")).json()["answers"]}
    assert answers["Hej"]["text"] == "Hej! Hvad kan jeg hjælpe med?"
    assert (await bo.form("/staff/canned", {"title": "", "text": "uden titel"})).status_code == 400
    await bo.form(f"/staff/canned/{hello['id']}/delete")
    assert "Hej" not in {a["title"] for a in (await bo.api("GET", "/staff/api/canned")).json()["answers"]}

