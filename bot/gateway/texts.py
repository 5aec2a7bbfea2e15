"""What the gateway itself says to citizens, in plain Danish. Facts come from municipality.yml."""
from __future__ import annotations

from bot.config import Municipality


def assistant_down(municipality: Municipality) -> str:
    return (
        "Chatbotten kan ikke svare lige nu. Din besked er gemt, og du får svar her, så snart den virker igen. "
        f"Haster det, så ring til Borgerservice på {municipality.borgerservice.phone}."
    )


def no_answer(municipality: Municipality) -> str:
    return (
        "Det har jeg desværre ikke et svar på. Prøv at skrive det på en anden måde. "
        f"Du kan også ringe til Borgerservice på {municipality.borgerservice.phone}."
    )


def message_too_long(limit: int) -> str:
    return f"Din besked er for lang. Den må højst være {limit} tegn. Del den gerne op i flere beskeder."


EMPTY_MESSAGE = "Skriv en besked først."
NOT_DELETED = (
    "Samtalen kunne ikke slettes lige nu. Prøv igen om lidt. Virker det stadig ikke, så ring til Borgerservice."
)
RATE_LIMITED = "Du har sendt mange beskeder på kort tid. Vent et øjeblik, og prøv igen."


def staff_joined(first_name: str) -> str:
    return f"En medarbejder har overtaget samtalen. Du skriver nu med {first_name}."


HANDED_BACK = "Du skriver nu med chatbotten igen."
STAFF_LEFT = (
    "Medarbejderen har måttet gå fra samtalen. Du er i kø igen. Den næste ledige medarbejder skriver til dig her."
)
CLOSED = "Samtalen er afsluttet. Tak fordi du skrev til os."
