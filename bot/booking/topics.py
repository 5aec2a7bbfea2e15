"""What a conversation is about, in words staff and citizens understand.

Keys are the intent names of the contract (../shared/design/intents.md); a booking stores the key.
"""
from __future__ import annotations

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


def topic_group(topic: str | None) -> str:
    if topic and topic.startswith("mitid"):
        return "mitid"
    if topic and topic.startswith("digitalpost"):
        return "digitalpost"
    return "other"


def what_to_bring(topic: str | None) -> str:
    """The response that says what to bring to a meeting in borgerservice about this topic."""
    if topic == "digitalpost_exemption":
        return "utter_booking_bring_fritagelse"
    if topic_group(topic) == "mitid":
        return "utter_booking_bring_mitid"
    return "utter_booking_bring_general"


def topic_from_text(text: str) -> str:
    """The topic a citizen typed or clicked when asked what the time is about."""
    folded = (text or "").lower().replace(" ", "").replace("-", "")
    if any(word in folded for word in ("mitid", "nemid", "pinkode", "brugerid", "kodeviser")):
        return "mitid"
    if "fritag" in folded:
        return "digitalpost_exemption"
    if any(word in folded for word in ("digitalpost", "eboks", "mit.dk", "mitdk", "post")):
        return "digitalpost"
    return "other"
