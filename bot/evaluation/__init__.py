"""NLU evaluation on the held-out split: accuracy, macro F1 and parse latency."""
from bot.evaluation.scoring import IntentScores, load_examples, parse_all, score

__all__ = ["IntentScores", "load_examples", "parse_all", "score"]
