"""Scores a trained model on labelled examples by parsing each one through Rasa, as the server would."""
from __future__ import annotations

import asyncio
import logging
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from sklearn.metrics import f1_score

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class IntentScores:
    accuracy: float
    macro_f1: float
    # The intent the classifier ranked first, ignoring the fallback: the fallback is a dialogue choice.
    top_intent_accuracy: float
    fallback_rate: float
    latency_p50_ms: float
    latency_p95_ms: float
    count: int


def load_examples(path: Path) -> list[tuple[str, str]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = []
    for block in (document or {}).get("nlu") or []:
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                examples.append((line[2:].strip(), block["intent"]))
    return examples


async def _parse(agent, texts: list[str]) -> list[tuple[dict, float]]:
    results = []
    for text in texts:
        started = time.perf_counter()
        parsed = await agent.parse_message(text)
        results.append((parsed, (time.perf_counter() - started) * 1000))
    return results


def parse_all(model_path: Path, texts: list[str]) -> list[tuple[dict, float]]:
    """Each text's parse result and the milliseconds it took."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # Rasa's structured log would print every parse, held-out sentence and all, at debug level.
    configure_structlog(logging.WARNING)

    agent = Agent.load(str(model_path))
    return asyncio.run(_parse(agent, texts))


def _classifier_ranking(parsed: dict) -> list[dict]:
    """The classifier's own ranking: Rasa's `nlu_fallback` (a dialogue choice) left out."""
    return [ranked for ranked in parsed.get("intent_ranking") or [] if ranked.get("name") != FALLBACK_INTENT]


def _top_non_fallback(parsed: dict) -> str | None:
    ranking = _classifier_ranking(parsed)
    return ranking[0].get("name") if ranking else (parsed.get("intent") or {}).get("name")


def score(examples: list[tuple[str, str]], parsed: list[tuple[dict, float]]) -> IntentScores:
    expected = [intent for _, intent in examples]
    predicted = [(result.get("intent") or {}).get("name") or FALLBACK_INTENT for result, _ in parsed]
    top = [_top_non_fallback(result) for result, _ in parsed]
    latencies = sorted(ms for _, ms in parsed)
    correct = sum(e == p for e, p in zip(expected, predicted, strict=True))
    return IntentScores(
        accuracy=correct / len(expected),
        macro_f1=f1_score(expected, predicted, labels=sorted(set(expected)), average="macro", zero_division=0),
        top_intent_accuracy=sum(e == t for e, t in zip(expected, top, strict=True)) / len(expected),
        fallback_rate=predicted.count(FALLBACK_INTENT) / len(expected),
        latency_p50_ms=statistics.median(latencies),
        latency_p95_ms=latencies[max(0, int(round(0.95 * len(latencies))) - 1)],
        count=len(expected),
    )


@dataclass(frozen=True)
class FallbackOutcome:
    """What citizens would get with one pair of FallbackClassifier thresholds."""

    threshold: float
    ambiguity_threshold: float
    right: int
    asked: int
    wrong: int

    @property
    def net(self) -> int:
        # A wrong answer sends a citizen down the wrong steps; "Mente du ...?" costs one click. So a
        # wrong answer counts against a right one, and asking counts for nothing either way.
        return self.right - self.wrong


def with_fallback(parsed: dict, threshold: float, ambiguity_threshold: float) -> str:
    """The intent Rasa's FallbackClassifier would give this parse result with these thresholds."""
    ranking = _classifier_ranking(parsed)
    if not ranking:
        return FALLBACK_INTENT
    top = ranking[0]["confidence"]
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    if top < threshold or top - second < ambiguity_threshold:
        return FALLBACK_INTENT
    return ranking[0]["name"]


def fallback_outcomes(
    examples: list[tuple[str, str]], parsed: list[tuple[dict, float]],
    thresholds: list[float], ambiguity_thresholds: list[float],
) -> list[FallbackOutcome]:
    """Right, asked and wrong answers for every pair of thresholds, from one parse of each example
    (Rasa keeps the classifier's ranking under its `nlu_fallback`, so any thresholds can be re-read)."""
    outcomes = []
    for threshold in thresholds:
        for ambiguity in ambiguity_thresholds:
            predicted = [with_fallback(result, threshold, ambiguity) for result, _ in parsed]
            asked = predicted.count(FALLBACK_INTENT)
            right = sum(p == intent for p, (_, intent) in zip(predicted, examples, strict=True))
            outcomes.append(FallbackOutcome(threshold, ambiguity, right, asked, len(examples) - right - asked))
    return outcomes
