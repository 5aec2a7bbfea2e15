"""What a citizen means by a time: "i morgen kl 10", "på torsdag", "efter frokost", "halv 11",
"24/11 kl. 9.30", "næste uge", "hurtigst muligt", and the form the assistant writes
("tirsdag 24. nov. kl. 10.00", bot/danish.py), since the time buttons send it back.
Newcomers' English ("tomorrow at 10", "on Thursday", "after lunch") is read by putting its time
words into Danish first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta

_MONTHS = {
    "jan": 1,
    "januar": 1,
    "feb": 2,
    "februar": 2,
    "mar": 3,
    "marts": 3,
    "apr": 4,
    "april": 4,
    "maj": 5,
    "jun": 6,
    "juni": 6,
    "jul": 7,
    "juli": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "okt": 10,
    "oktober": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
# Short forms only where they are not also ordinary words ("man", "søn" are).
_WEEKDAYS = {
    "mandag": 0,
    "tirsdag": 1,
    "tirs": 1,
    "onsdag": 2,
    "torsdag": 3,
    "tors": 3,
    "fredag": 4,
    "fre": 4,
    "lørdag": 5,
    "lør": 5,
    "søndag": 6,
}
_SOONEST = re.compile(
    r"\b(hurtigst( muligt)?|snarest( muligt)?|så hurtigt som muligt|så snart som muligt|første ledige|"
    r"førstkommende|tidligst muligt|asap|lige ?meget|hvornår som helst|når som helst|det samme)\b"
)


@dataclass(frozen=True)
class TimeWish:
    """What a citizen asked for. Empty fields mean 'any'."""

    first_day: date | None = None
    last_day: date | None = None
    at: time | None = None
    earliest: time | None = None
    latest: time | None = None
    soonest: bool = False
    in_past: bool = False  # said a day that has already been ("i går")

    @property
    def has_day(self) -> bool:
        return self.first_day is not None


# English time words and their Danish counterparts, longest first where one contains another.
_ENGLISH_TIME_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b{english}\b"), danish)
    for english, danish in (
        (r"(?:as soon as possible|asap|soonest|first available|any ?time|whenever)", "hurtigst muligt"),
        (r"(?:the )?day after tomorrow", "i overmorgen"),
        (r"tomorrow(?: morning)?", "i morgen"),
        (r"today", "i dag"),
        (r"next week", "næste uge"),
        (r"this week", "denne uge"),
        (r"next (?=monday|tuesday|wednesday|thursday|friday|saturday|sunday)", "næste "),
        (r"on (?=monday|tuesday|wednesday|thursday|friday|saturday|sunday)", "på "),
        (r"monday", "mandag"),
        (r"tuesday", "tirsdag"),
        (r"wednesday", "onsdag"),
        (r"thursday", "torsdag"),
        (r"friday", "fredag"),
        (r"saturday", "lørdag"),
        (r"sunday", "søndag"),
        (r"january", "januar"),
        (r"february", "februar"),
        (r"march", "marts"),
        (r"(?<=\d )may", "maj"),
        (r"june", "juni"),
        (r"july", "juli"),
        (r"october", "oktober"),
        (r"oct", "okt"),
        (r"after lunch", "efter frokost"),
        (r"before lunch", "før frokost"),
        (r"(?:around|at) (?:lunch|noon)", "omkring frokost"),
        (r"in the morning", "om formiddagen"),
        (r"in the afternoon", "om eftermiddagen"),
        (r"in the evening", "om aftenen"),
        (r"between (\d{1,2}(?:[.:]\d{2})?) and", r"mellem \1 og"),
        (r"(?:at|around|about) (?=\d)", "kl "),
        (r"after (?=\d)", "efter "),
        (r"before (?=\d)", "før "),
        (r"o'?clock", ""),
    )
]
_AM_PM = re.compile(r"\b(\d{1,2})(?:[.:](\d{2}))? ?(am|pm)\b")


def _from_english(text: str) -> str:
    text = _AM_PM.sub(
        lambda m: f"kl {int(m[1]) % 12 + (12 if m[3] == 'pm' else 0)}" + (f".{m[2]}" if m[2] else ""), text
    )
    for pattern, danish in _ENGLISH_TIME_WORDS:
        text = pattern.sub(danish, text)
    return text


def _fold(text: str) -> str:
    """Lower case, English time words in Danish, æøå restored from the ways people type them without a
    Danish keyboard."""
    text = _from_english(unicodedata.normalize("NFC", text).lower())
    text = text.replace("ae", "æ").replace("oe", "ø").replace("aa", "å")
    text = re.sub(r"\blordag\b", "lørdag", text)
    text = re.sub(r"\bsondag\b", "søndag", text)
    text = re.sub(r"\bnaste\b", "næste", text)
    text = re.sub(r"\bfor\b(?= (frokost|middag|kl|klokken|\d))", "før", text)
    return re.sub(r"\s+", " ", text).strip()


_CLOCK = r"(?:kl\.?|klokken)"
_HHMM = r"(\d{1,2})(?:[.:](\d{2}))?"
_HALF = re.compile(r"\bhalv (\d{1,2})\b")
_QUARTER_PAST = re.compile(r"\bkvart over (\d{1,2})\b")
_QUARTER_TO = re.compile(r"\bkvart (?:i|på) (\d{1,2})\b")
_BETWEEN = re.compile(rf"\bmellem (?:{_CLOCK} )?{_HHMM} og (?:{_CLOCK} )?{_HHMM}\b")
_AFTER = re.compile(rf"\b(?:efter|fra) (?:{_CLOCK} )?{_HHMM}\b")
_BEFORE = re.compile(rf"\b(?:før|inden|senest) (?:{_CLOCK} )?{_HHMM}\b")
_AT = re.compile(
    rf"(?:\b{_CLOCK} ?|\bved |\bomkring |\bca\.? |\b){_HHMM}\b(?! ?[./-] ?\d)(?!\.? ?(?:{'|'.join(_MONTHS)})\b)"
)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2}) ?[./-] ?(\d{1,2})(?: ?[./-] ?(\d{2,4}))?\b")
_NAMED_DATE = re.compile(rf"\b(\d{{1,2}})\.? ?({'|'.join(sorted(_MONTHS, key=len, reverse=True))})\b\.?(?: (\d{{4}}))?")
_DAY_OF_MONTH = re.compile(r"\b(?:den|d\.) ?(\d{1,2})\.?(?! ?[./-]? ?\d)")


def _hour(value: str, minutes: str | None) -> time | None:
    hour, minute = int(value), int(minutes or 0)
    if minute > 59 or hour > 24:
        return None
    if 1 <= hour <= 6 and len(value) == 1:
        # Nobody books at 3 at night: "kl 3" is the afternoon ("kl. 03.00", as the assistant writes it, is not).
        hour += 12
    if hour == 24:
        return None
    return time(hour, minute)


def _date_from(year: int | None, month: int, day: int, today: date) -> date | None:
    try:
        candidate = date(year or today.year, month, day)
    except ValueError:
        return None
    if year is None and candidate < today - timedelta(days=31):
        # "3. jan." said in December is next year's; a date a little behind us is a date in the past.
        try:
            candidate = date(today.year + 1, month, day)
        except ValueError:
            return None
    return candidate


def _find_day(text: str, today: date) -> tuple[date | None, date | None, bool, str]:
    """Returns (first_day, last_day, in_past, text without the day words)."""
    rules: list[tuple[re.Pattern[str], object]] = [
        (re.compile(r"\bi ?forgårs\b"), lambda m: (today - timedelta(days=2),) * 2 + (True,)),
        (re.compile(r"\bi ?går\b"), lambda m: (today - timedelta(days=1),) * 2 + (True,)),
        (re.compile(r"\bi ?morges\b"), lambda m: (today, today, True)),
        (re.compile(r"\bi ?overmorgen\b"), lambda m: (today + timedelta(days=2),) * 2 + (False,)),
        (re.compile(r"\bi ?morgen(?:en)?\b"), lambda m: (today + timedelta(days=1),) * 2 + (False,)),
        (re.compile(r"\bi ?dag\b"), lambda m: (today, today, False)),
        (re.compile(r"\bi (?=formiddag|eftermiddag|aften)"), lambda m: (today, today, False)),
        (
            re.compile(r"\bnæste uge\b|\bugen efter\b"),
            lambda m: (
                today + timedelta(days=7 - today.weekday()),
                today + timedelta(days=13 - today.weekday()),
                False,
            ),
        ),
        (
            re.compile(r"\b(?:i|denne) uge(?:n)?\b"),
            lambda m: (today, today + timedelta(days=6 - today.weekday()), False),
        ),
    ]
    for pattern, build in rules:
        match = pattern.search(text)
        if match:
            first, last, past = build(match)  # type: ignore[operator]
            return first, last, past, text[: match.start()] + " " + text[match.end() :]

    match = _ISO_DATE.search(text)
    if match:
        day = _date_from(int(match[1]), int(match[2]), int(match[3]), today)
        if day:
            return day, day, day < today, text[: match.start()] + " " + text[match.end() :]
    match = _NAMED_DATE.search(text)
    if match:
        day = _date_from(int(match[3]) if match[3] else None, _MONTHS[match[2]], int(match[1]), today)
        if day:
            return day, day, day < today, _strip_weekday(text[: match.start()] + " " + text[match.end() :])
    for match in _NUMERIC_DATE.finditer(text):
        # "10.30" is a time, not the 10th of March; a date needs a month 1-12 and no clock word before it.
        before = text[: match.start()].rstrip()
        if re.search(rf"{_CLOCK}$|\b(?:halv|over|i|på|efter|før|inden|fra|mellem|og|omkring|ved)$", before):
            continue
        if match[3] is None and not 1 <= int(match[2]) <= 12:
            continue
        year = int(match[3]) if match[3] else None
        if year is not None and year < 100:
            year += 2000
        day = _date_from(year, int(match[2]), int(match[1]), today)
        if day:
            return day, day, day < today, _strip_weekday(text[: match.start()] + " " + text[match.end() :])
    match = _DAY_OF_MONTH.search(text)
    if match:
        number = int(match[1])
        day = None
        for months_ahead in range(3):
            month = (today.month - 1 + months_ahead) % 12 + 1
            year = today.year + (today.month - 1 + months_ahead) // 12
            try:
                candidate = date(year, month, number)
            except ValueError:
                continue
            if candidate >= today:
                day = candidate
                break
        if day:
            return day, day, False, _strip_weekday(text[: match.start()] + " " + text[match.end() :])

    weekday_pattern = re.compile(
        rf"\b(?:(næste|på|nu på|kommende|den)\s+)?({'|'.join(sorted(_WEEKDAYS, key=len, reverse=True))})(?:en)?\b"
    )
    match = weekday_pattern.search(text)
    if match:
        weekday = _WEEKDAYS[match[2]]
        # "på torsdag" said on a Thursday means next week's.
        ahead = (weekday - today.weekday()) % 7 or 7
        day = today + timedelta(days=ahead)
        return day, day, False, text[: match.start()] + " " + text[match.end() :]
    return None, None, False, text


def _strip_weekday(text: str) -> str:
    # "tirsdag 24. nov.": the date decides; the weekday word must not be read again.
    return re.sub(rf"\b({'|'.join(sorted(_WEEKDAYS, key=len, reverse=True))})\b", " ", text)


_PARTS_OF_DAY: list[tuple[re.Pattern[str], time | None, time | None]] = [
    (re.compile(r"\b(?:efter|over) (?:frokost|middag|middagen|frokosten)\b"), time(12, 30), None),
    (re.compile(r"\b(?:før|inden) (?:frokost|middag|frokosten)\b"), None, time(11, 30)),
    (re.compile(r"\b(?:omkring|ved|til) (?:frokost|middag)(?:stid)?\b|\bmiddagstid\b"), time(11, 30), time(13, 0)),
    (re.compile(r"\beftermiddag(?:en)?\b|\bom eftermiddagen\b"), time(12, 0), None),
    (re.compile(r"\bformiddag(?:en)?\b|\bom formiddagen\b"), None, time(12, 0)),
    (re.compile(r"\b(?:tidligt|morgen(?:en)?|først på dagen)\b"), None, time(10, 30)),
    (re.compile(r"\b(?:sent|senere på dagen|sidst på dagen)\b"), time(14, 0), None),
    (re.compile(r"\baften(?:en)?\b"), time(18, 0), None),
]


def parse_time_wish(text: str, today: date) -> TimeWish | None:
    """What time the citizen means, or None if the text says nothing about a time."""
    folded = _fold(text)
    if not folded:
        return None
    if _SOONEST.search(folded):
        return TimeWish(soonest=True)

    first, last, in_past, rest = _find_day(folded, today)
    at = earliest = latest = None

    match = _BETWEEN.search(rest)
    if match:
        earliest, latest = _hour(match[1], match[2]), _hour(match[3], match[4])
        rest = rest[: match.start()] + " " + rest[match.end() :]
    else:
        for pattern, handle in (
            (_HALF, lambda m: _shift(_hour(m[1], None), -30)),
            (_QUARTER_PAST, lambda m: _shift(_hour(m[1], None), 15)),
            (_QUARTER_TO, lambda m: _shift(_hour(m[1], None), -15)),
        ):
            match = pattern.search(rest)
            if match:
                at = handle(match)
                rest = rest[: match.start()] + " " + rest[match.end() :]
                break
        if at is None:
            match = _AFTER.search(rest)
            if match:
                earliest = _hour(match[1], match[2])
                rest = rest[: match.start()] + " " + rest[match.end() :]
            match = _BEFORE.search(rest)
            if match:
                latest = _hour(match[1], match[2])
                rest = rest[: match.start()] + " " + rest[match.end() :]
        if at is None and earliest is None and latest is None:
            match = _AT.search(rest)
            if match and (match.group(0).strip()[:1].isalpha() or first is not None or _only_a_time(rest, match)):
                at = _hour(match[1], match[2])

    if earliest is None and latest is None and at is None:
        for pattern, start, end in _PARTS_OF_DAY:
            if pattern.search(rest):
                earliest, latest = start, end
                break
    if first is None and at is None and earliest is None and latest is None:
        return None
    return TimeWish(first, last, at, earliest, latest, False, in_past)


def _only_a_time(rest: str, match: re.Match[str]) -> bool:
    # A bare "10" or "10.30" is a time when it is (nearly) all the citizen wrote.
    return len(re.sub(r"[^a-zæøå0-9]", "", rest[: match.start()] + rest[match.end() :])) <= 3


def _shift(moment: time | None, minutes: int) -> time | None:
    if moment is None:
        return None
    total = moment.hour * 60 + moment.minute + minutes
    if not 0 <= total < 24 * 60:
        return None
    return time(total // 60, total % 60)
