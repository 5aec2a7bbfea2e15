"""What the Telegram channel itself says, in plain Danish (the answers come from the assistant)."""
from __future__ import annotations

# What a citizen may send that the channel cannot read, by Telegram's name for it.
ATTACHMENT_NAMES = {
    "photo": "et billede",
    "voice": "en lydbesked",
    "audio": "en lydfil",
    "video": "en video",
    "video_note": "en videobesked",
    "animation": "en GIF",
    "sticker": "et klistermærke",
    "document": "en fil",
    "location": "en placering",
    "venue": "en placering",
    "contact": "en kontakt",
}


def only_text(kind: str) -> str:
    what = ATTACHMENT_NAMES.get(kind, "noget, der ikke er tekst")
    return f"Du har sendt {what}. Vi kan kun læse tekst her i chatten. Skriv gerne dit spørgsmål med ord."


def chosen(title: str) -> str:
    return f"Du valgte: {title}"


def staff_label(first_name: str | None) -> str:
    return f"{first_name} (medarbejder):" if first_name else "Medarbejder:"


CHOOSE = "Vælg en af mulighederne:"
DELETED = (
    "Din samtale er slettet hos os. Beskederne her i Telegram kan du selv slette i appen. "
    "Skriv igen, hvis du vil spørge om noget nyt."
)
NOTHING_TO_DELETE = "Der er ingen samtale at slette."
BUTTON_GONE = "Den knap virker ikke længere. Skriv dit spørgsmål i stedet."
STILL_WAITING = "Du er i kø til en medarbejder. Skriv gerne videre imens. Medarbejderen læser det hele."
WITH_STAFF = "Du skriver med en medarbejder. Skriv bare videre."
# For staff only: the citizen never sees it, because it is written when nothing reaches them any more.
BLOCKED_NOTE = "Borgeren har blokeret chatbotten i Telegram, så vores beskeder kan ikke nå frem. Samtalen er lukket."
