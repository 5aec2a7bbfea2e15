"""What the console's actions tell citizens, in plain Danish. Facts come from municipality.yml."""
from __future__ import annotations

from bot.config import Municipality

BOOK_BUTTON = {"title": "Bestil tid", "payload": "/book_helper"}


def nobody_came(municipality: Municipality) -> str:
    return (
        "Ingen medarbejder har tid til at chatte lige nu. Undskyld, at du har ventet.\n"
        "Du kan bestille en tid. Så ringer vi til dig, eller du kommer i borgerservice.\n"
        f"Du kan også ringe til borgerservice på {municipality.borgerservice.phone}."
    )


def booking_cancelled(municipality: Municipality, when: str, reference: str) -> str:
    return (
        f"Borgerservice har aflyst din tid {when} (bestillingsnummer {reference}). Undskyld.\n"
        "Du kan bestille en ny tid her i chatten.\n"
        f"Du kan også ringe til borgerservice på {municipality.borgerservice.phone}."
    )
