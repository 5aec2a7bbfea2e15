"""Danish as the assistant writes it, for citizens and staff alike: dates, weekdays, clock times,
and what a conversation is about.

Written: "tirsdag 24. nov. kl. 10.00". Topic keys are the intent names of the contract
(../shared/design/intents.md); a booking or a handoff stores the key, people read the label.
"""
from __future__ import annotations

from datetime import date, datetime, time

WEEKDAY_NAMES = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTH_ABBREVIATIONS = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")


def format_day(day: date) -> str:
    """'tirsdag 24. nov.'"""
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day}. {MONTH_ABBREVIATIONS[day.month - 1]}"


def format_clock(moment: time) -> str:
    """'kl. 10.00'"""
    return f"kl. {moment.hour:02d}.{moment.minute:02d}"


def format_moment(moment: datetime) -> str:
    """'tirsdag 24. nov. kl. 10.00' for a local (Copenhagen) datetime."""
    return f"{format_day(moment.date())} {format_clock(moment.time())}"


TOPIC_LABELS: dict[str, str] = {
    "mitid_get": "MitID: få MitID",
    "mitid_activate": "MitID: aktivere MitID",
    "mitid_new_phone": "MitID på en ny telefon",
    "mitid_lost_phone": "MitID: mistet telefon",
    "mitid_forgot_userid": "MitID: glemt bruger-ID",
    "mitid_forgot_pin": "MitID: glemt PIN-kode eller adgangskode",
    "mitid_blocked": "MitID er spærret",
    "mitid_misuse": "MitID: mistanke om misbrug",
    "mitid_children": "MitID til børn og unge",
    "mitid_no_smartphone": "MitID uden smartphone",
    "mitid_help_relative": "Hjælp en anden med MitID",
    "mitid_documents": "MitID: legitimation og vidne",
    "mitid_foreigner": "MitID uden dansk pas",
    "mitid_support_contact": "MitID Support",
    "digitalpost_what": "Digital Post",
    "digitalpost_read": "Digital Post: læse post",
    "digitalpost_exemption": "Fritagelse for Digital Post",
    "digitalpost_relative_access": "Digital Post: adgang for pårørende",
    "digitalpost_notifications": "Digital Post: besked om ny post",
    "digitalpost_deceased": "Digital Post efter et dødsfald",
    "digitalpost_reply": "Digital Post: svare på et brev",
    "opening_hours": "Åbningstider",
    "contact_borgerservice": "Kontakt til borgerservice",
    "data_privacy": "Hvad assistenten gemmer",
    "passport": "Pas",
    "health_card": "Sundhedskort",
    "change_address": "Melde flytning",
    "nemkonto": "NemKonto",
    "driving_licence": "Kørekort",
    "tax_question": "Skat",
    "benefits_question": "Pension, boligstøtte og andre ydelser",
    "nemid_closed": "NemID virker ikke",
    "digitalpost_apps": "Digital Post: e-Boks, mit.dk eller appen",
    "mitid_business": "MitID Erhverv",
    "suspicious_message": "Er beskeden ægte?",
    "it_help": "Lær at bruge computer og telefon",
    "mitid": "MitID",
    "digitalpost": "Digital Post",
    "other": "Andet",
}

# Intents that are not questions about a topic: they never make a topic or count as a repeated question.
NOT_QUESTIONS = frozenset(
    {
        "greet", "goodbye", "thank", "affirm", "deny", "stop", "inform", "bot_challenge", "out_of_scope",
        "nlu_fallback", "book_helper", "request_human", "cancel_booking", "express_difficulty",
        "choose_callback", "choose_meeting", "mitid_topics", "digitalpost_topics", "ask_something_else",
    }
)


def is_question(intent: str | None) -> bool:
    return bool(intent) and intent not in NOT_QUESTIONS and intent in TOPIC_LABELS


def topic_label(topic: str | None) -> str:
    if not topic:
        return TOPIC_LABELS["other"]
    return TOPIC_LABELS.get(topic, topic)
