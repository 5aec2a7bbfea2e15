"""A short Danish summary of the conversation for staff, so the citizen never has to start over."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.booking.struggle import DID_THAT_HELP_ACTIONS, Event, Reason, current_session, intent_of, reason_label
from bot.danish import TOPIC_LABELS, is_question, topic_label

MAX_QUOTE = 120
QUOTES = 3
# The last line of a summary; everything after it is the citizen's own words.
QUOTES_LABEL = "Borgerens seneste beskeder: "
QUOTES_DELETED = "Borgerens egne beskeder er slettet."
# Danish is what staff expect; only another language gets a line, right under the topic.
LANGUAGE_LINES = {"en": "Sprog: engelsk. Borgeren har fået svar på engelsk."}


def conversation_language(events: Sequence[Event]) -> str:
    """The slot `language` as the events left it ("da" unless set)."""
    language = "da"
    for event in events:
        if event.get("event") == "slot" and event.get("name") == "language" and event.get("value"):
            language = event["value"]
    return language


def _answer_topic(action: str | None) -> str | None:
    if action == "action_opening_hours":
        return "opening_hours"
    if action and action.startswith("utter_") and is_question(action[len("utter_") :]):
        return action[len("utter_") :]
    return None


def _times(count: int) -> str:
    return "" if count == 1 else f" ({count} gange)"


def summarise(events: Sequence[Event], reason: Reason | str | None, topic: str | None) -> str:
    session = current_session(events)
    asked: Counter[str] = Counter()
    answered: list[str] = []
    quotes: list[str] = []
    not_helped = 0
    last_action = None
    in_form = False
    for event in session:
        kind = event.get("event")
        if kind == "active_loop":
            in_form = bool(event.get("name"))
        elif kind == "user":
            intent = intent_of(event)
            if intent is not None and is_question(intent):
                asked[intent] += 1
            if last_action in DID_THAT_HELP_ACTIONS and intent == "deny":
                not_helped += 1
            text = (event.get("text") or "").strip()
            # Answers to a form (a name, a phone number) are kept only with the booking, never quoted.
            if text and not text.startswith("/") and not in_form:
                quotes.append(text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…")
            last_action = None
        elif kind == "action" and event.get("name") != "action_listen":
            last_action = event.get("name")
            answer = _answer_topic(last_action)
            if answer and answer not in answered:
                answered.append(answer)

    lines = []
    if reason:
        lines.append(f"Hvorfor: {reason_label(reason)}")
    lines.append(f"Emne: {topic_label(topic)}.")
    if conversation_language(events) in LANGUAGE_LINES:
        lines.append(LANGUAGE_LINES[conversation_language(events)])
    if asked:
        lines.append("Spurgt om: " + ", ".join(f"{TOPIC_LABELS[i]}{_times(n)}" for i, n in asked.items()) + ".")
    lines.append("Svar givet: " + (", ".join(TOPIC_LABELS[a] for a in answered) + "." if answered else "ingen endnu."))
    if not_helped:
        lines.append(f"Svarede \"Nej\" til \"Hjalp det?\": {not_helped} {'gang' if not_helped == 1 else 'gange'}.")
    if quotes:
        lines.append(QUOTES_LABEL + " | ".join(f"\"{q}\"" for q in quotes[-QUOTES:]))
    return "\n".join(lines)


def without_citizen_words(summary: str | None) -> str | None:
    """The summary without the citizen's quoted messages (after "Slet min samtale" and the purge).

    The quotes are always the last line, and a quote may itself hold a line break, so everything
    from the label on goes; what stays are the assistant's own labels (reason, topic, answers).
    """
    if not summary or QUOTES_LABEL not in summary:
        return summary
    return summary[: summary.index(QUOTES_LABEL)] + QUOTES_DELETED
