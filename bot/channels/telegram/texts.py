"""What the Telegram channel itself says, in plain Danish and plain English: the conversation's language
(the answers come from the assistant)."""
from __future__ import annotations

from bot.gateway.texts import Said

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


ATTACHMENT_NAMES_EN = {
    "photo": "a picture",
    "voice": "a voice message",
    "audio": "a sound file",
    "video": "a video",
    "video_note": "a video message",
    "animation": "a GIF",
    "sticker": "a sticker",
    "document": "a file",
    "location": "a location",
    "venue": "a location",
    "contact": "a contact",
}


def only_text(kind: str) -> Said:
    """Stored in the conversation, so said in its language (bot/gateway/texts.py)."""
    what = ATTACHMENT_NAMES.get(kind, "noget, der ikke er tekst")
    what_en = ATTACHMENT_NAMES_EN.get(kind, "something that is not text")
    return {
        "da": f"Du har sendt {what}. Vi kan kun læse tekst her i chatten. Skriv gerne dit spørgsmål med ord.",
        "en": f"You have sent {what_en}. We can only read text here in the chat. Please write your question in words.",
    }


def chosen(title: str) -> Said:
    return {"da": f"Du valgte: {title}", "en": f"You chose: {title}"}


def staff_label(first_name: str | None, language: str) -> str:
    if language == "en":
        return f"{first_name} (staff member):" if first_name else "Staff member:"
    return f"{first_name} (medarbejder):" if first_name else "Medarbejder:"


CHOOSE: Said = {"da": "Vælg en af mulighederne:", "en": "Choose one of the options:"}
DELETED: Said = {
    "da": "Din samtale er slettet hos os. Vores beskeder her i chatten fra de sidste to døgn er også slettet. "
    "Dine egne beskeder og ældre beskeder kan du selv slette i appen. Skriv igen, hvis du vil spørge om noget nyt.",
    "en": "Your conversation has been deleted on our side. Our messages in this chat from the last two days are "
    "deleted too. You can delete your own messages and older messages yourself in the app. Write again if you "
    "want to ask about something new.",
}
NOTHING_TO_DELETE: Said = {"da": "Der er ingen samtale at slette.", "en": "There is no conversation to delete."}
# Shown on a pressed button of an earlier message (Telegram allows 200 characters there).
BUTTON_GONE: Said = {
    "da": "Den knap hører til en tidligere besked. Brug de nyeste knapper, eller skriv dit spørgsmål.",
    "en": "That button belongs to an earlier message. Use the newest buttons, or write your question.",
}
STILL_WAITING: Said = {
    "da": "Du er i kø til en medarbejder. Skriv gerne videre imens. Medarbejderen læser det hele.",
    "en": "You are in the queue for a staff member. Feel free to keep writing. The staff member reads it all.",
}
WITH_STAFF: Said = {
    "da": "Du skriver med en medarbejder. Skriv bare videre.",
    "en": "You are writing with a staff member. Just keep writing.",
}
# For staff only: the citizen never sees it, because it is written when nothing reaches them any more.
BLOCKED_NOTE = "Borgeren har blokeret chatbotten i Telegram, så vores beskeder kan ikke nå frem. Samtalen er lukket."
