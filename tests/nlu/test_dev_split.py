"""The dev split and the cross-validation folds that choices are made on: fixed, cut from data/nlu/ only."""
from collections import Counter

from bot.evaluation import SECTIONS, load_sections
from bot.evaluation.crossval import DATA, folds
from bot.evaluation.dev import long_examples, split
from bot.evaluation.scoring import fallback_outcomes, load_examples, with_fallback


def test_the_dev_split_is_the_same_every_time_and_never_trained_on():
    training, dev_long, dev_short = split()
    assert split() == (training, dev_long, dev_short)
    assert not set(training) & set(dev_long + dev_short)
    # A fifth of the long examples, a tenth of the rest.
    assert len(dev_long) == round(0.2 * len(long_examples()))
    assert set(dev_long) <= long_examples()
    assert 0.08 < len(dev_short) / (len(training) + len(dev_short)) < 0.12


def test_every_held_out_section_has_examples():
    sections = load_sections()
    assert tuple(sections) == SECTIONS
    assert all(sections[name] for name in SECTIONS)


def ranked(*pairs: tuple[str, float]) -> dict:
    return {"intent_ranking": [{"name": name, "confidence": confidence} for name, confidence in pairs]}


def test_fallback_thresholds_are_re_read_from_the_ranking_as_rasa_would_apply_them():
    # Rasa puts nlu_fallback first and keeps the classifier's ranking under it.
    sure = ranked(("nlu_fallback", 0.4), ("mitid_blocked", 0.9), ("mitid_forgot_pin", 0.05))
    close = ranked(("mitid_blocked", 0.48), ("mitid_forgot_pin", 0.45))
    unsure = ranked(("passport", 0.3), ("health_card", 0.1))
    assert with_fallback(sure, 0.4, 0.05) == "mitid_blocked"
    assert with_fallback(close, 0.4, 0.05) == "nlu_fallback" and with_fallback(close, 0.4, 0.02) == "mitid_blocked"
    assert with_fallback(unsure, 0.4, 0.0) == "nlu_fallback" and with_fallback(unsure, 0.2, 0.0) == "passport"
    assert with_fallback({}, 0.4, 0.05) == "nlu_fallback"

    examples = [("a", "mitid_blocked"), ("b", "mitid_forgot_pin"), ("c", "passport")]
    parsed = [(sure, 1.0), (close, 1.0), (unsure, 1.0)]
    strict, loose = fallback_outcomes(examples, parsed, [0.4, 0.2], [0.05])
    assert (strict.right, strict.asked, strict.wrong, strict.net) == (1, 2, 0, 1)
    assert (loose.right, loose.asked, loose.wrong, loose.net) == (2, 1, 0, 2)
    [guessing] = fallback_outcomes(examples, parsed, [0.2], [0.0])
    assert (guessing.right, guessing.asked, guessing.wrong, guessing.net) == (2, 0, 1, 1)


def test_cross_validation_deals_every_example_into_exactly_one_fold():
    dealt = folds(3)
    assert folds(3) == dealt
    every = [example for path in sorted(DATA.glob("*.yml")) for example in load_examples(path)]
    assert Counter(example for fold in dealt for example in fold) == Counter(every)
    sizes = [len(fold) for fold in dealt]
    assert max(sizes) - min(sizes) <= len(list(DATA.glob("*.yml")))  # each file dealt out evenly
    held_out = {text for examples in load_sections().values() for text, _ in examples}
    assert not held_out & {text for fold in dealt for text, _ in fold}  # the held-out split is never read
