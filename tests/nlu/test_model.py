"""The model trained in this test run, scored on the held-out split it never saw, section by section."""
import re
from pathlib import Path

import pytest

from bot.domain_files import load_domain_dict
from bot.evaluation import load_examples, load_sections, parse_all, score_by_section
from bot.evaluation.noise import make_noisy
from bot.nlu.normaliser import DanishNormaliser, danish_lexicon
from tests.support.services import unavailable

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTRACT = PROJECT_ROOT.parent / "shared" / "design" / "intents.md"

# The bars on the full model's held-out accuracy (README, "Evaluation"). Issue 10's target is 0.93 on
# the whole split and 0.90 on long, English and noisy. Measured on 2026-11-28 the full model (60 epochs,
# chosen by cross-validation) reaches whole 0.931, short 0.921, long 0.929, English 0.959, noisy 0.906:
# the target is met, by one sentence on the whole split. A bar at the figure itself would fail on
# training randomness alone (one sentence of 788 is 0.13 points; of a 98-sentence section, one point),
# and TensorFlow's arithmetic differs between processors, so each bar is the measured figure less about
# 2 points. They guard against getting worse; `make eval` shows the target.
BARS = {"whole": 0.91, "short": 0.90, "long": 0.91, "english": 0.93, "noisy copy": 0.88}


def contract_intents() -> set[str]:
    if not CONTRACT.exists():
        unavailable("../shared/design/intents.md is not beside this checkout")
    names = set()
    for line in CONTRACT.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            names.add(line.split("`")[1])
    return names


@pytest.fixture(scope="module")
def heldout_scores(trained_model):
    """Scores on the whole held-out split, each of its sections, and the noisy copy of the whole."""
    sections = load_sections()
    whole = [example for examples in sections.values() for example in examples]
    return score_by_section(trained_model, sections, make_noisy(whole))


@pytest.mark.parametrize("part", list(BARS))
def test_heldout_accuracy_reaches_its_bar(heldout_scores, part):
    assert heldout_scores[part].accuracy >= BARS[part], heldout_scores[part]


def test_every_contract_intent_is_in_the_domain_and_trained_on_enough_data():
    domain = load_domain_dict()
    training = load_examples_from(PROJECT_ROOT / "data" / "nlu")
    for intent in contract_intents():
        assert intent in domain["intents"], intent
        assert sum(1 for _, name in training if name == intent) >= 25, intent


def test_heldout_split_covers_every_contract_intent_and_is_never_trained_on():
    sections = load_sections()
    heldout = [example for examples in sections.values() for example in examples]
    # Compared as the model sees them: "hjaelp" and "hjælp!" are the same sentence once normalised.
    as_model_sees = model_view()
    training = {as_model_sees(text) for text, _ in load_examples_from(PROJECT_ROOT / "data" / "nlu")}
    for intent in contract_intents():
        assert sum(1 for _, name in heldout if name == intent) >= 8, intent
        # Long messages are where a topic is easiest to miss, so every topic has its own there.
        assert any(name == intent for _, name in sections["long"]), intent
    assert not [text for text, _ in heldout if as_model_sees(text) in training]


def model_view():
    """The text as the model's first step normalises it, without punctuation or extra spaces."""
    normaliser = DanishNormaliser(danish_lexicon())
    return lambda text: " ".join(re.sub(r"[^\w\s]", "", normaliser.normalise(text)).split())


def load_examples_from(folder: Path) -> list[tuple[str, str]]:
    return [example for path in sorted(folder.glob("*.yml")) for example in load_examples(path)]


def test_actions_see_what_the_citizen_wrote_not_the_normalised_text(trained_model):
    """The model learns from normalised text; a booking code or a first name must reach the actions as typed."""
    typed = ["aflys min tid QX9-MZR", "Karen", "HJÆÆLP min mit id er spaerret"]
    parsed = [result for result, _ in parse_all(trained_model, typed)]
    assert [result["text"] for result in parsed] == typed
    assert parsed[0]["intent"]["name"] == "cancel_booking"
    assert parsed[2]["intent"]["name"] == "mitid_blocked"
