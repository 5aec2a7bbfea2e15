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
    "mitid_support_contact": "the only official page with MitID Support's hours (sikkerdigital.dk, facts.md 1c) "
    "is about identity theft: a link there would send the citizen to another topic",
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


def variations(response: str, language: str = "all") -> list[dict]:
    """The response's variations: all, the Danish ones (no `language: en` condition) or the English ones."""
    found = []
    for variant in DOMAIN["responses"][response]:
        english = any(c.get("name") == "language" and c.get("value") == "en" for c in variant.get("condition") or [])
        if language == "all" or (language == "en") == english:
            found.append(variant)
    return found


def as_citizen_reads(response: str, language: str = "all") -> str:
    """The texts of a response and of its rest behind "Vis mere" (`<response>_more`), with the
    municipality's values put in, as the assistant sends them to a citizen who reads it all."""
    values = load_municipality().answer_values()
    names = [response] + [f"{response}_more"] * (f"{response}_more" in DOMAIN["responses"])
    texts = [variant.get("text", "") for name in names for variant in variations(name, language)]
    return "\n".join(re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text) for text in texts)


def answer_text(intent: str, language: str = "all") -> str:
    return "\n".join(as_citizen_reads(response, language) for response in answer_responses(intent))


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


# --- Corrections from the review of the answers (issue 10, item 4; facts.md) -----------------------

MY_FILES = ("mitid.yml", "digitalpost.yml", "borgerservice.yml", "more.yml")
MAX_FIRST_WORDS = {"da": 70, "en": 90}  # English says the same in more words, and names the Danish terms
SHOW_MORE = "/show_more"


def responses_in(file_name: str) -> list[str]:
    return sorted((yaml.safe_load((PROJECT_ROOT / "domain" / "responses" / file_name).read_text(encoding="utf-8")) or {}).get("responses") or {})


def words(text: str) -> int:
    """Words as the LIX test counts them: web addresses and {placeholders} left out."""
    return len(re.findall(r"[^\W_]+(?:-[^\W_]+)*", re.sub(r"https?://\S+|\{\w+\}", " ", text)))


def payloads(variant: dict) -> list[str]:
    return [button["payload"] for button in variant.get("buttons") or []]


@pytest.mark.parametrize("response", [r for f in MY_FILES for r in responses_in(f)])
def test_every_answer_has_an_english_variation_with_the_same_buttons(response):
    danish, english = variations(response, "da"), variations(response, "en")
    assert len(danish) == 1 and len(english) == 1, response
    assert payloads(english[0]) == payloads(danish[0])
    assert english[0]["text"] != danish[0]["text"]


@pytest.mark.parametrize("intent", QUESTION_INTENTS)
def test_the_first_message_of_an_answer_is_short_and_the_rest_is_behind_vis_mere(intent):
    for response in answer_responses(intent):
        has_more = f"{response}_more" in DOMAIN["responses"]
        for language, limit in MAX_FIRST_WORDS.items():
            for variant in variations(response, language):
                count = words(variant.get("text", ""))
                assert count <= limit, f"{response} ({language}) has {count} words: put the rest in {response}_more"
                more_buttons = [b for b in variant.get("buttons") or [] if b["payload"] == SHOW_MORE]
                assert bool(more_buttons) == has_more, f"{response} ({language}): a 'Vis mere' button if and only if {response}_more exists"
                if more_buttons:
                    assert more_buttons[0]["title"] == {"da": "Vis mere", "en": "Show more"}[language]


def test_every_vis_mere_button_has_a_rest_to_show():
    for name, variants in DOMAIN["responses"].items():
        if any(SHOW_MORE in payloads(variant) for variant in variants):
            assert f"{name}_more" in DOMAIN["responses"], name
    assert sum(1 for name in DOMAIN["responses"] if name.endswith("_more")) >= 8


@pytest.mark.parametrize("intent", QUESTION_INTENTS)
def test_english_pages_linked_from_a_danish_answer_are_marked_as_english(intent):
    for line in answer_text(intent, "da").splitlines():
        if re.search(r"https?://\S*(/en-gb/|/en/|lifeindenmark|/english)", line, re.IGNORECASE):
            assert "engelsk" in line.lower(), f"{intent}: {line!r} links to an English page without saying so"


def test_the_booking_reference_is_never_called_a_code_where_codes_must_never_be_given():
    # "Gem koden" collides with "never give anyone your codes": it is a bestillingsnummer.
    for response in [r for f in MY_FILES for r in responses_in(f)]:
        assert "{reference}" not in as_citizen_reads(response)
    from bot.console.texts import booking_cancelled

    told = booking_cancelled(load_municipality(), "mandag 30. nov. kl. 10.00", "K7M-4PX")
    assert "bestillingsnummer K7M-4PX" in told and "kode" not in told


def test_one_word_for_one_thing():
    for name in DOMAIN["responses"]:
        for variant in variations(name, "da"):
            text = variant.get("text", "")
            assert "billed-legitimation" not in text, name
            assert not re.search(r"\bchat-?robot|\bchat-bot", text, re.IGNORECASE), name


def test_activation_codes_are_typed_in_the_app_never_in_the_chat_and_last_as_facts_md_says():
    text = answer_text("mitid_activate", "da")
    assert "Skriv den midlertidige PIN-kode, du har fået" not in text and "Skriv dit bruger-ID og koden." not in text
    for line in text.splitlines():
        step = line.lstrip("0123456789. ")
        if step.startswith("Skriv ") and not step.startswith("Skriv aldrig") and "kode" in step:
            assert "i appen" in line, line
    # facts.md 1c: 48 hours on paper, 30 minutes by SMS, only found on the pre-production mirror [NB].
    assert "48 timer" in text and "30 minutter" in text and "kan være ændret" in text
    assert "aldrig her i chatten" in text


def test_misuse_blocks_first_and_looks_at_the_activity_only_once_mitid_works_again():
    text = answer_text("mitid_misuse", "da")
    block, unlock, activity = text.index("Spær hele dit MitID"), text.index("Lås det op"), text.index("seneste aktivitet")
    assert block < unlock < activity


def test_lost_phone_says_mitid_still_works_only_with_another_device():
    text = answer_text("mitid_lost_phone", "da")
    assert "Dit MitID virker stadig." not in text
    still = [line for line in text.splitlines() if "virker stadig" in line or "stadig virker" in line]
    assert still and all("anden telefon" in line for line in still)


def test_new_phone_has_the_steps_on_the_new_phone_and_the_limit_of_three():
    text = answer_text("mitid_new_phone", "da")
    for step in ('"Kom i gang"', '"Kopier fra en anden MitID app"', "bruger-ID", "midlertidige PIN-kode", "QR-kode"):
        assert step in text, step
    assert "op til 3 apps" in text and "ikke nok at slette appen" in text


def test_get_forgot_pin_exemption_and_notifications_say_what_the_review_missed():
    assert "bank" in answer_text("mitid_get", "da")
    assert "5 dage" in answer_text("mitid_forgot_pin", "da")  # facts.md 1c: the 5-day rule
    assert "24 timer" in answer_text("mitid_forgot_pin", "da")  # facts.md 1c: the adgangskode wait
    exemption = answer_text("digitalpost_exemption", "da")
    assert "gælder ikke for" in exemption and "e-Boks" in exemption and "SU" in exemption
    notifications = answer_text("digitalpost_notifications")
    assert "15-aarige" not in notifications and "https://post.borger.dk" in notifications


def test_mitid_support_hours_have_their_official_source_in_the_configuration():
    comments = (PROJECT_ROOT / "municipality.yml").read_text(encoding="utf-8")
    assert "https://sikkerdigital.dk/hotline-ved-identitetstyveri" in comments
    assert "No official page with the hours was found" not in comments
    english = answer_text("mitid_support_contact", "en")
    assert "Monday to Friday 8-20" in english and "mandag" not in english
