"""Every Danish answer is easy to read: its LIX is at most 40 (the project aims for 35 and below).

LIX (Björnsson's readability index, used by Digitaliseringsstyrelsen: "Hold lix-tallet nede"):

    LIX = words / sentences + 100 * long words / words

How this test counts them in chat text:
- The text is one response variation as written in domain/, without its buttons (their titles are
  labels, not sentences). Every Danish variation counts: those without a `language: en` condition.
- Left out before counting: web addresses (https://..., www....), `{placeholders}` (the values
  come from municipality.yml and are numbers, hours and names), and the markup around a link's
  label (`[label](url)` counts as its label).
- A word is a run of letters and digits, hyphens inside kept ("MitID-appen" is one word). A long
  word has more than 6 letters and digits.
- A line that is only a label and a value left out ("Telefon: {borgerservice_phone}") is a field of
  a card, not prose, and is left out too.
- A sentence ends at `.`, `!`, `?` or `:` followed by a space or the end, and at every line break:
  in a chat answer each line and each list item stands alone. A full stop after a number ("1. Åbn")
  or after a short abbreviation ("fx.", "kl.") does not end a sentence.
- Texts of fewer than 10 words are not measured: there one long word decides the index ("Det var
  hele svaret." would score 54), and a line that short reads easily anyway.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bot.domain_files import load_domain_dict

MAX_LIX = 40
TARGET_LIX = 35
MIN_WORDS = 10

ADDRESS = re.compile(r"https?://\S+|www\.\S+")
PLACEHOLDER = re.compile(r"\{\w+\}")
LINK_MARKUP = re.compile(r"\[([^\]]*)\]\([^)]*\)")
FIELD = re.compile(r"^[^\W\d_][\w -]*:\s*(?:\{\w+\}|https?://\S+)\s*$", re.MULTILINE)
WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
ABBREVIATIONS = ("fx", "kl", "ca", "nr", "tlf", "bl.a", "dvs", "mv", "osv", "evt", "jf")
SENTENCE_END = re.compile(
    r"(?<!\d)(?<!\b" + r")(?<!\b".join(re.escape(a) for a in ABBREVIATIONS) + r")[.!?:]+(?=\s|$)|\n+"
)


@dataclass(frozen=True)
class Lix:
    words: int
    sentences: int
    long_words: int

    @property
    def value(self) -> float:
        if not self.words:
            return 0.0
        return self.words / max(self.sentences, 1) + 100 * self.long_words / self.words


def readable_text(text: str) -> str:
    text = FIELD.sub("", text)
    text = LINK_MARKUP.sub(r"\1", text)
    text = ADDRESS.sub(" ", text)
    return PLACEHOLDER.sub(" ", text)


def lix(text: str) -> Lix:
    text = readable_text(text)
    words = WORD.findall(text)
    pieces = [piece for piece in SENTENCE_END.split(text) if piece and WORD.search(piece)]
    long_words = sum(1 for word in words if len(word.replace("-", "")) > 6)
    return Lix(words=len(words), sentences=len(pieces), long_words=long_words)


def is_danish(variation: dict) -> bool:
    return not any(
        condition.get("name") == "language" and condition.get("value") != "da"
        for condition in variation.get("condition") or []
    )


def danish_variations() -> list[tuple[str, int, str]]:
    found = []
    for name, variations in sorted(load_domain_dict()["responses"].items()):
        for index, variation in enumerate(variations):
            if is_danish(variation) and lix(variation.get("text") or "").words >= MIN_WORDS:
                found.append((name, index, variation["text"]))
    return found


DANISH = danish_variations()


# --- The measure itself, on texts whose count is known ----------------------------------------


def test_words_long_words_and_sentences_are_counted_as_documented():
    measured = lix("Åbn MitID-appen. Vælg Aktivér.\n1. Scan dit pas: det tager kort tid")
    # Words: Åbn MitID-appen Vælg Aktivér 1 Scan dit pas det tager kort tid = 12; long: MitID-appen, Aktivér.
    assert (measured.words, measured.long_words) == (12, 2)
    # "Åbn MitID-appen." / "Vælg Aktivér." / "1. Scan dit pas:" / "det tager kort tid"
    assert measured.sentences == 4


def test_addresses_placeholders_and_link_markup_are_not_words():
    measured = lix("Ring på {mitid_support_phone}. Læs [mere her](https://www.mitid.dk/hjaelp/) eller https://borger.dk")
    assert measured.words == 6  # Ring på / Læs mere her eller
    assert measured.sentences == 2


def test_fields_of_a_card_are_not_prose():
    measured = lix("Sådan kontakter du os:\nTelefon: {borgerservice_phone}\nBestil tid: https://example.dk/tid")
    assert (measured.words, measured.sentences) == (4, 1)


def test_abbreviations_and_step_numbers_do_not_end_sentences():
    assert lix("Tag legitimation med, fx. pas eller kørekort, kl. 10 i morgen.").sentences == 1
    assert lix("1. Åbn appen.").sentences == 1


def test_the_formula_is_lix():
    # 10 words in 2 sentences, 3 of them long: 10/2 + 100*3/10 = 35.
    assert lix("Borgerservice hjælper dig. Bestil en tid og tag legitimation med.").value == pytest.approx(35.0)


def test_the_answers_are_found():
    # Guards the test below from passing on an empty list.
    names = {name for name, _, _ in DANISH}
    assert {"utter_mitid_get", "utter_digitalpost_exemption", "utter_contact_borgerservice"} <= names


# --- Every Danish answer ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "index", "text"), DANISH, ids=[f"{n}[{i}]" for n, i, _ in DANISH])
def test_every_danish_answer_has_lix_at_most_40(name, index, text):
    measured = lix(text)
    assert measured.value <= MAX_LIX, (
        f"{name} (variation {index}) has LIX {measured.value:.0f} "
        f"({measured.words} words, {measured.sentences} sentences, {measured.long_words} long): "
        f"shorter sentences and shorter words, please (aim for {TARGET_LIX})"
    )
