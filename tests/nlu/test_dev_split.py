"""The dev split that choices are made on: fixed, cut from data/nlu/ only, and disjoint from training."""
from bot.evaluation import SECTIONS, load_sections
from bot.evaluation.dev import long_examples, split


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
