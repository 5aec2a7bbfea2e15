"""The model trained in this test run, scored on the held-out split it never saw."""
import re
from pathlib import Path

import pytest
import yaml

from bot.domain_files import load_domain_dict
from bot.evaluation import load_examples, parse_all, score
from bot.nlu.normaliser import DanishNormaliser, danish_lexicon
from tests.support.services import unavailable

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
CONTRACT = PROJECT_ROOT.parent / "shared" / "design" / "intents.md"


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
    examples = load_examples(HELDOUT)
    return score(examples, parse_all(trained_model, [text for text, _ in examples]))


def test_heldout_accuracy_is_at_least_090(heldout_scores):
    assert heldout_scores.accuracy >= 0.90, heldout_scores


def test_every_contract_intent_is_in_the_domain_and_trained_on_enough_data():
    domain = load_domain_dict()
    training = load_examples_from(PROJECT_ROOT / "data" / "nlu")
    for intent in contract_intents():
        assert intent in domain["intents"], intent
        assert sum(1 for _, name in training if name == intent) >= 25, intent


def test_heldout_split_covers_every_contract_intent_and_is_never_trained_on():
    heldout = load_examples(HELDOUT)
    # Compared as the model sees them: "hjaelp" and "hjælp!" are the same sentence once normalised.
    as_model_sees = model_view()
    training = {as_model_sees(text) for text, _ in load_examples_from(PROJECT_ROOT / "data" / "nlu")}
    for intent in contract_intents():
        assert sum(1 for _, name in heldout if name == intent) >= 8, intent
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
