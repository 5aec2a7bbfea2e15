"""The held-out split (never trained on), in sections by the kind of message citizens write.

- short: one Danish question or sentence, as most messages are;
- long: two to four sentences of story with the question somewhere inside (older citizens);
- voice: dictated text: no punctuation, run-on, numbers as words, words heard wrong, "punktum";
- english: newcomers writing English (the intent is the same as for the Danish message).

Every reader of the held-out split (make eval, the model tests, the console's training gate, the
benchmark) takes it from here, so a new section is added in one place.
"""
from __future__ import annotations

from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.evaluation.scoring import load_examples

HELDOUT_DIR = PROJECT_ROOT / "tests" / "nlu" / "heldout"
SECTIONS = ("short", "long", "voice", "english")


def load_sections(folder: Path = HELDOUT_DIR) -> dict[str, list[tuple[str, str]]]:
    """Each section's (text, intent) pairs, in the order of SECTIONS."""
    return {name: load_examples(folder / f"{name}.yml") for name in SECTIONS}


def load_heldout(folder: Path = HELDOUT_DIR) -> list[tuple[str, str]]:
    """The whole held-out split: every section together."""
    return [example for examples in load_sections(folder).values() for example in examples]
