"""What the gateway itself says to citizens, in plain Danish, and in English for a conversation the
assistant answers in English (the slot `language`). Facts come from municipality.yml.

A text stored in a conversation is a `Said`: both languages, the conversation's chosen when stored.
"""
from __future__ import annotations

from typing import TypedDict

from bot.config import Municipality


class Said(TypedDict):
    da: str
    en: str


def in_language(said: Said, language: str) -> str:
    return said["en"] if language == "en" else said["da"]


def assistant_down(municipality: Municipality) -> Said:
    phone = municipality.borgerservice.phone
    return {
        "da": "Chatbotten kan ikke svare lige nu. Din besked er gemt, og du får svar her, så snart den virker igen. "
        f"Haster det, så ring til Borgerservice på {phone}.",
        "en": "The chatbot cannot answer right now. Your message is saved, and you will get an answer here as soon "
        f"as it works again. If it is urgent, call Citizen Service (Borgerservice) on {phone}.",
    }


def no_answer(municipality: Municipality) -> Said:
    phone = municipality.borgerservice.phone
    return {
        "da": "Det har jeg desværre ikke et svar på. Prøv at skrive det på en anden måde. "
        f"Du kan også ringe til Borgerservice på {phone}.",
        "en": "Sorry, I do not have an answer to that. Try writing it in another way. "
        f"You can also call Citizen Service (Borgerservice) on {phone}.",
    }


def message_too_long(limit: int) -> Said:
    return {
        "da": f"Din besked er for lang. Den må højst være {limit} tegn. Del den gerne op i flere beskeder.",
        "en": f"Your message is too long. It can be at most {limit} characters. "
        "You are welcome to split it into more messages.",
    }


EMPTY_MESSAGE: Said = {"da": "Skriv en besked først.", "en": "Write a message first."}
# For what the widget itself never sends: a script of someone else's, or a broken connection.
UNREADABLE = "Chatten kunne ikke læse det, der blev sendt. Prøv igen."
NOT_DELETED: Said = {
    "da": "Samtalen kunne ikke slettes lige nu. Prøv igen om lidt. Virker det stadig ikke, så ring til Borgerservice.",
    "en": "The conversation could not be deleted right now. Try again in a little while. "
    "If it still does not work, call Citizen Service (Borgerservice).",
}
RATE_LIMITED = "Du har sendt mange beskeder på kort tid. Vent et øjeblik, og prøv igen."
# For staff replies the gateway refuses (the console shows the Danish).
NOT_CLAIMED: Said = {
    "da": "Samtalen er ikke overtaget af en medarbejder.",
    "en": "No staff member has taken over the conversation.",
}
NOT_OWNER: Said = {
    "da": "Samtalen er overtaget af en anden medarbejder.",
    "en": "Another staff member has taken over the conversation.",
}
SLOW_DOWN: Said = {
    "da": RATE_LIMITED,
    "en": "You have sent many messages in a short time. Wait a moment and try again.",
}
TOO_MANY_CONNECTIONS: Said = {
    "da": "Der er åbnet for mange chatvinduer fra din forbindelse. Luk et af dem, og prøv igen.",
    "en": "Too many chat windows are open from your connection. Close one of them and try again.",
}


def too_many_conversations(municipality: Municipality) -> Said:
    phone = municipality.borgerservice.phone
    return {
        "da": "Du har startet mange nye samtaler på kort tid. Vent lidt, før du starter en ny samtale. "
        f"Haster det, så ring til Borgerservice på {phone}.",
        "en": "You have started many new conversations in a short time. Wait a while before you start a new "
        f"conversation. If it is urgent, call Citizen Service (Borgerservice) on {phone}.",
    }


def chat_busy(municipality: Municipality) -> Said:
    phone = municipality.borgerservice.phone
    return {
        "da": f"Der er travlt i chatten lige nu. Prøv igen om lidt. Haster det, så ring til Borgerservice på {phone}.",
        "en": "The chat is busy right now. Try again in a little while. If it is urgent, call Citizen Service "
        f"(Borgerservice) on {phone}.",
    }


def staff_joined(first_name: str) -> Said:
    return {
        "da": f"En medarbejder har overtaget samtalen. Du skriver nu med {first_name}.",
        "en": f"A staff member has taken over the conversation. You are now writing with {first_name}.",
    }


HANDED_BACK: Said = {"da": "Du skriver nu med chatbotten igen.", "en": "You are writing with the chatbot again."}
STAFF_LEFT: Said = {
    "da": "Medarbejderen har måttet gå fra samtalen. Du er i kø igen. "
    "Den næste ledige medarbejder skriver til dig her.",
    "en": "The staff member has had to leave the conversation. You are in the queue again. "
    "The next free staff member will write to you here.",
}
CLOSED: Said = {
    "da": "Samtalen er afsluttet. Tak fordi du skrev til os.",
    "en": "The conversation has ended. Thank you for writing to us.",
}
