"""What the citizen is told when something was removed from their message."""
from __future__ import annotations

from bot.privacy.redaction import Redaction


def redaction_warning(redaction: Redaction) -> str | None:
    if redaction.cpr_numbers and redaction.card_numbers:
        removed = "dit CPR-nummer og dit kortnummer"
    elif redaction.cpr_numbers:
        removed = "dit CPR-nummer"
    elif redaction.card_numbers:
        removed = "dit kortnummer"
    else:
        return None
    return (
        f"Jeg har fjernet {removed} fra beskeden, så det ikke bliver gemt. "
        "Du skal ikke skrive det her. Vi spørger aldrig om det i chatten."
    )
