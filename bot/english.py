"""English as the assistant writes it for newcomers: dates, weekdays, clock times and topics.

The Danish counterparts are in bot/danish.py; the functions here take the conversation's language
("da" or "en", the slot `language`) and fall back to Danish. Staff always read Danish.
Written: "Tuesday 24 Nov at 10:00". Official English terms: ../shared/domain/facts.md section 6.
"""
from __future__ import annotations

from datetime import date, datetime, time

from bot import danish

ENGLISH = "en"
DANISH = "da"

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

TOPIC_LABELS: dict[str, str] = {
    "mitid_get": "MitID: get MitID",
    "mitid_activate": "MitID: activate MitID",
    "mitid_new_phone": "MitID on a new phone",
    "mitid_lost_phone": "MitID: lost phone",
    "mitid_forgot_userid": "MitID: forgot user ID",
    "mitid_forgot_pin": "MitID: forgot PIN code or password",
    "mitid_blocked": "MitID is blocked",
    "mitid_misuse": "MitID: suspected misuse",
    "mitid_children": "MitID for children and young people",
    "mitid_no_smartphone": "MitID without a smartphone",
    "mitid_help_relative": "Help someone else with MitID",
    "mitid_documents": "MitID: ID documents and witness",
    "mitid_foreigner": "MitID without a Danish passport",
    "mitid_support_contact": "MitID Support",
    "mitid_business": "MitID for businesses",
    "digitalpost_what": "Digital Post",
    "digitalpost_read": "Digital Post: read your mail",
    "digitalpost_exemption": "Exemption from Digital Post",
    "digitalpost_relative_access": "Digital Post: access for a relative",
    "digitalpost_notifications": "Digital Post: notice of new mail",
    "digitalpost_deceased": "Digital Post after a death",
    "digitalpost_reply": "Digital Post: reply to a letter",
    "digitalpost_apps": "Digital Post apps",
    "passport": "Passport",
    "health_card": "Health insurance card (sundhedskort)",
    "change_address": "Change of address",
    "nemkonto": "NemKonto",
    "driving_licence": "Driving licence",
    "tax_question": "Tax",
    "benefits_question": "Benefits and pension",
    "nemid_closed": "NemID has closed",
    "suspicious_message": "Suspicious message",
    "it_help": "Help with computers and phones",
    "opening_hours": "Opening hours",
    "contact_borgerservice": "Contact Citizen Service (Borgerservice)",
    "data_privacy": "What the assistant saves",
    "mitid": "MitID",
    "digitalpost": "Digital Post",
    "other": "Something else",
}

SOMETHING_ELSE = {DANISH: "Noget andet", ENGLISH: "Something else"}
MORE_TIMES = {DANISH: "Andre tider", ENGLISH: "Other times"}


def language_code(value: object) -> str:
    """The slot's value as a language this module writes: English only when asked for."""
    return ENGLISH if value == ENGLISH else DANISH


def format_day(day: date, language: str = DANISH) -> str:
    """'tirsdag 24. nov.' or 'Tuesday 24 Nov'"""
    if language != ENGLISH:
        return danish.format_day(day)
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day} {MONTH_ABBREVIATIONS[day.month - 1]}"


def format_clock(moment: time, language: str = DANISH) -> str:
    """'kl. 10.00' or 'at 10:00'"""
    if language != ENGLISH:
        return danish.format_clock(moment)
    return f"at {moment.hour:02d}:{moment.minute:02d}"


def format_moment(moment: datetime, language: str = DANISH) -> str:
    """'tirsdag 24. nov. kl. 10.00' or 'Tuesday 24 Nov at 10:00' for a local datetime."""
    return f"{format_day(moment.date(), language)} {format_clock(moment.time(), language)}"


def topic_label(topic: str | None, language: str = DANISH) -> str:
    """The topic as the citizen reads it; a topic with no English label keeps its Danish one."""
    if language != ENGLISH:
        return danish.topic_label(topic)
    if not topic:
        return TOPIC_LABELS["other"]
    return TOPIC_LABELS.get(topic) or danish.topic_label(topic)
