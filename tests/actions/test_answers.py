"""The written answers: each points to an official page, and states the facts of facts.md correctly.

The answers are read as the citizen gets them: the responses in domain/ that the rules in
data/rules send after a question intent, with the values from municipality.yml filled in.
"""
import re
from pathlib import Path

import pytest
import yaml

from bot.domain_files import load_domain_dict
from bot.config import load_municipality
from bot.danish import TOPIC_LABELS, is_question

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOMAIN = load_domain_dict()
QUESTION_INTENTS = sorted(intent for intent in TOPIC_LABELS if is_question(intent) and intent in DOMAIN["intents"])

# Answers that may go without a link, each with the reason there is no official page to give.
NO_LINK_NEEDED = {
    "opening_hours": "the hours are the municipality's own, computed from municipality.yml by an action",
    "mitid_support_contact": "facts.md found no official page with MitID Support's number and hours",
    "digitalpost_reply": "facts.md has only one municipality's guide for replying, no national page",
    "data_privacy": "it is about this assistant; there is no outside page to point to",
}


def answer_responses(intent: str) -> list[str]:
    """The responses the rules send right after `intent` starts a rule, in order."""
    found = []
    for rules_file in sorted((PROJECT_ROOT / "data" / "rules").glob("*.yml")):
        for rule in yaml.safe_load(rules_file.read_text(encoding="utf-8")).get("rules") or []:
            steps = rule.get("steps") or []
            if not steps or steps[0].get("intent") != intent:
                continue
            for step in steps[1:]:
                action = step.get("action")
                if action is None:
                    break
                if action.startswith("utter_"):
                    found.append(action)
    return found


def as_citizen_reads(response: str) -> str:
    """All texts of a response with the municipality's values put in, as the assistant sends them."""
    values = load_municipality().answer_values()
    texts = [variant.get("text", "") for variant in DOMAIN["responses"][response]]
    return "\n".join(re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text) for text in texts)


def answer_text(intent: str) -> str:
    return "\n".join(as_citizen_reads(response) for response in answer_responses(intent))


def test_the_question_intents_are_found():
    # Guards the tests below from passing on an empty list.
    assert len(QUESTION_INTENTS) >= 20
    assert "utter_mitid_misuse" in answer_responses("mitid_misuse")


@pytest.mark.parametrize("intent", [i for i in QUESTION_INTENTS if i not in NO_LINK_NEEDED])
def test_every_answer_to_a_question_links_to_an_official_page(intent):
    assert "https://" in answer_text(intent), f"the answer to {intent} has no https:// link"


@pytest.mark.parametrize("intent", sorted(NO_LINK_NEEDED))
def test_the_answers_allowed_without_a_link_really_have_none(intent):
    # Keeps the allow-list honest: an answer that gets a link leaves the list.
    assert intent in QUESTION_INTENTS
    assert "https://" not in answer_text(intent)


@pytest.mark.parametrize("response", ["utter_mitid_documents", "utter_booking_bring_mitid"])
def test_the_witness_rules_are_those_of_mitid_dk(response):
    text = as_citizen_reads(response)
    # facts.md 1.10: a witness is at least 18 and has had MitID for more than 30 days.
    assert "mindst 18 år" in text
    assert "mere end 30 dage" in text
    assert "over 18 år" not in text and "mindst 30 dage" not in text


def test_mitid_support_hours_include_the_short_days_before_christmas_and_new_year():
    text = answer_text("mitid_support_contact")
    assert "mandag til fredag kl. 8-20" in text
    assert "24. og 31. december kl. 10-14" in text
