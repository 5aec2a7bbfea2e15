"""Danish text as citizens type it, made regular before the NLU model sees it.

Citizens write "spaerret", "mit id", "e boks", "HJÆÆÆLP", "sparret". The model learns better from one
spelling per word, so this module restores æ/ø/å where the result is a known Danish word, joins the
domain terms' spelling variants, squeezes stretched letters and lower-cases. A word is "known" when
spaCy's Danish lookup tables (spacy-lookups-data, no download) or the training data contain it; a
word that is neither may be a typo of a training word one edit away.
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

DANISH_LETTERS = "abcdefghijklmnopqrstuvwxyzæøå"

# Spelling variants of the domain's terms -> the one spelling the model trains on. Order matters:
# longer phrases first, so "digital post" is joined before "post" could be touched by anything else.
DOMAIN_VARIANTS: tuple[tuple[str, str], ...] = (
    (r"\bmit[\s.\-_]*id(?:['’]?(en|et|s))?\b", "mitid"),
    (r"\bmit[\s\-]*ld\b", "mitid"),
    (r"\bnem[\s.\-_]*id(?:['’]?(en|et|s))?\b", "nemid"),
    (r"\be[\s.\-_]*boks(?:['’]?(en|s))?\b", "eboks"),
    (r"\bmit[\s]*\.[\s]*dk\b|\bmit[\s\-]+dk\b", "mitdk"),
    (r"\bborger[\s.\-_]+service(?:['’]?(n|t|s))?\b", "borgerservice"),
    (r"\bdigital[\s.\-_]*post(?:['’]?(en|s))?\b", "digital post"),
    (r"\bbruger[\s.\-_]*(?:id|ident)(?:['’]?(et|s))?\b", "brugerid"),
    (r"\bpin[\s.\-_]*kode(n|r|rne)?\b", r"pinkode\1"),
    (r"\bkode[\s.\-_]+viser(en|e)?\b", r"kodeviser\1"),
    (r"\bkode[\s.\-_]+opl(?:æ|ae|a)ser(en|e)?\b", r"kodeoplæser\1"),
    (r"\bkodeoplaeser(en|e)?\b", r"kodeoplæser\1"),
    (r"\bsms['’]?(en|er|erne)?\b", "sms"),
    (r"\bapp['’](en|s)\b", r"app\1"),
    (r"\btlf\.?(?=\s|$)", "telefon"),
)
_COMPILED_VARIANTS = tuple((re.compile(pattern), replacement) for pattern, replacement in DOMAIN_VARIANTS)

# Words of this domain that the general lexicon does not know.
DOMAIN_WORDS = frozenset(
    {
        "mitid", "nemid", "eboks", "mitdk", "brugerid", "app", "appen", "apps", "sms", "kodeviser",
        "kodeviseren", "kodeoplæser", "kodeoplæseren", "pinkode", "pinkoden", "borgerservice", "chip",
        "chippen", "login", "logge", "qr", "ok", "okay", "hej", "hejsa", "tak", "bot", "chatbot",
    }
)

_WORD = re.compile(r"[a-zæøåéü]+")
_STRETCH = re.compile(r"([a-zæøå])\1{2,}")
_DOUBLE = re.compile(r"([a-zæøå])\1+")
_TRANSLITERATIONS = (("ae", "æ"), ("oe", "ø"), ("aa", "å"))
_LOST_LETTERS = {"a": ("æ", "å"), "o": ("ø",), "e": ("æ",)}
# Shorter words are too easily one edit from many others to guess at.
MIN_TYPO_LENGTH = 3
# Beyond this many candidate places, a word is left alone: the combinations explode and guesses get wild.
_MAX_PLACES = 4


class DanishNormaliser:
    """Normalises one message at a time; `vocabulary` holds words seen in training with their counts."""

    def __init__(self, lexicon: Iterable[str], vocabulary: Mapping[str, int] | None = None) -> None:
        self.lexicon = frozenset(lexicon) | DOMAIN_WORDS
        self.vocabulary = Counter(vocabulary or {})

    def normalise(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text or "").lower()
        text = _WORD.sub(lambda m: self._squeeze(m.group(0)), text)
        text = _WORD.sub(lambda m: self._restore_letters(m.group(0)), text)
        text = _WORD.sub(lambda m: self._correct_typo(m.group(0)), text)
        # Last, so that a corrected word ("brugr id" -> "bruger id") still joins its term.
        for pattern, replacement in _COMPILED_VARIANTS:
            text = pattern.sub(replacement, text)
        return re.sub(r"\s+", " ", text).strip()

    def learn(self, texts: Iterable[str]) -> None:
        """Remember the words of (already normalised) training texts as typo-correction targets."""
        for text in texts:
            self.vocabulary.update(_WORD.findall(text))

    def is_known(self, word: str) -> bool:
        return word in self.lexicon or word in self.vocabulary

    def _squeeze(self, word: str) -> str:
        """"hjææælp" -> "hjælp", "hallooo" -> "hallo": runs of three or more letters become two or one."""
        if not _STRETCH.search(word):
            return word
        doubled = _STRETCH.sub(r"\1\1", word)
        single = _STRETCH.sub(r"\1", word)
        for candidate in (single, doubled):
            if self.is_known(candidate):
                return candidate
        return single

    def _restore_letters(self, word: str) -> str:
        """"spaerret" -> "spærret", "paa" -> "på", "sparret" -> "spærret", "hjæælp" -> "hjælp", when known.

        A reading the training data uses wins over one only the lexicon knows, and over the word as
        typed when the training data never uses that: "nar" (a fool) is far likelier "når" here.
        """
        if word in self.vocabulary or len(word) < 2:
            return word
        candidates = _transliteration_candidates(word) + _lost_letter_candidates(word)
        single = _DOUBLE.sub(r"\1", word)
        if single != word:
            # A doubled letter that makes no word: a stretched word typed with two letters only.
            candidates.append(single)
        for candidate in candidates:
            if candidate in self.vocabulary:
                return candidate
        if word in self.lexicon:
            return word
        for candidate in candidates:
            if candidate in self.lexicon:
                return candidate
        return word

    def _correct_typo(self, word: str) -> str:
        """A word nobody knows, one edit away from a training word, becomes that word."""
        if len(word) < MIN_TYPO_LENGTH or self.is_known(word) or not self.vocabulary:
            return word
        matches = [candidate for candidate in _edits1(word) if candidate in self.vocabulary]
        if not matches:
            return word
        return max(matches, key=lambda candidate: (self.vocabulary[candidate], candidate))


def _transliteration_candidates(word: str) -> list[str]:
    places = [(m.start(), a, b) for a, b in _TRANSLITERATIONS for m in re.finditer(f"(?={a})", word)]
    if not places or len(places) > _MAX_PLACES:
        return []
    candidates = []
    for chosen in _subsets(places):
        candidate, used = word, set[int]()
        for start, source, target in sorted(chosen, reverse=True):
            if used & {start, start + 1}:
                break
            used |= {start, start + 1}
            candidate = candidate[:start] + target + candidate[start + len(source):]
        else:
            candidates.append(candidate)
    return candidates


def _lost_letter_candidates(word: str) -> list[str]:
    places = [i for i, letter in enumerate(word) if letter in _LOST_LETTERS]
    if not places or len(places) > _MAX_PLACES:
        return []
    candidates = []
    for chosen in _subsets(places):
        options = [_LOST_LETTERS[word[i]] for i in chosen]
        for replacement in itertools.product(*options):
            letters = list(word)
            for index, letter in zip(chosen, replacement, strict=True):
                letters[index] = letter
            candidates.append("".join(letters))
    return candidates


def _subsets(items: list) -> Iterable[tuple]:
    """Non-empty subsets, fewest changes first: the least surprising correction wins."""
    for size in range(1, len(items) + 1):
        yield from itertools.combinations(items, size)


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [left + right[1:] for left, right in splits if right]
    transposes = [left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1]
    replaces = [left + c + right[1:] for left, right in splits if right for c in DANISH_LETTERS]
    inserts = [left + c + right for left, right in splits for c in DANISH_LETTERS]
    return set(deletes + transposes + replaces + inserts)


@lru_cache(maxsize=1)
def danish_lexicon() -> frozenset[str]:
    """Every word form in spaCy's Danish lemma lookup table, and every lemma."""
    import spacy_lookups_data
    import srsly

    table_path = Path(spacy_lookups_data.__file__).parent / "data" / "da_lemma_lookup.json.gz"
    table: dict[str, str] = srsly.read_gzip_json(table_path)
    return frozenset(word.lower() for word in itertools.chain(table.keys(), table.values()))
