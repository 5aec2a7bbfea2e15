"""NLU evaluation on the held-out split: accuracy, macro F1 and parse latency, per section."""
from bot.evaluation.heldout import HELDOUT_DIR, SECTIONS, load_heldout, load_sections, score_by_section
from bot.evaluation.scoring import IntentScores, load_examples, parse_all, score

__all__ = [
    "HELDOUT_DIR",
    "SECTIONS",
    "IntentScores",
    "load_examples",
    "load_heldout",
    "load_sections",
    "parse_all",
    "score",
    "score_by_section",
]
