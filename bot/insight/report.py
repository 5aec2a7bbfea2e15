"""From counted figures to what the statistics page and the CSV export show, for a period and channel."""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from bot.booking.struggle import REASON_LABELS, Reason
from bot.danish import MONTH_ABBREVIATIONS, WEEKDAY_NAMES, topic_label
from bot.insight.counting import Counts

CHANNELS = {"web": "Web", "telegram": "Telegram"}
GROUPINGS = {"day": "Dag", "week": "Uge", "month": "Måned"}
CSV_COLUMNS = (
    "date",
    "channel",
    "conversations",
    "citizen_messages",
    "contained",
    "not_understood",
    "second_misses",
    "handoffs",
    "live_chats",
    "bookings",
    "helped_yes",
    "helped_no",
    "outside_hours",
)
# CSV column -> the figure it sums (over every detail).
_CSV_FIGURES = {
    "conversations": "conversations",
    "citizen_messages": "citizen_messages",
    "contained": "contained",
    "not_understood": "not_understood",
    "second_misses": "second_miss",
    "handoffs": "handed_off",
    "live_chats": "live_chat",
    "bookings": "bookings",
    "helped_yes": "helped_yes",
    "helped_no": "helped_no",
    "outside_hours": "outside_hours",
}
LANGUAGES = {"da": "Dansk", "en": "Engelsk"}
BOOKING_ENDS = (("done", "Gennemført"), ("no_show", "Udeblev"), ("cancelled", "Aflyst"), ("booked", "Endnu ikke holdt"))


@dataclass(frozen=True)
class Wait:
    count: int
    median: int | None  # seconds, the upper bound of the histogram step
    p90: int | None


@dataclass(frozen=True)
class Report:
    first: date
    last: date
    channel: str | None
    grouping: str
    totals: Counter  # figure -> sum over the period
    periods: list[tuple[str, int, int]]  # label, conversations, contained
    helped: list[tuple[str, int, int]]  # topic label, yes, no
    reasons: list[tuple[str, int]]
    topics: list[tuple[str, int]]
    languages: list[tuple[str, int]]
    satisfaction: list[tuple[str, int]]
    booking_ends: list[tuple[str, int]]
    hours: dict[tuple[int, int], int]  # (weekday, hour) -> conversations started
    claim: Wait
    reply: Wait

    def share(self, figure: str, of: str = "conversations") -> str:
        """'42 %', or '–' when there is nothing to divide by."""
        whole = self.totals[of]
        return f"{round(100 * self.totals[figure] / whole)} %" if whole else "–"

    @property
    def satisfaction_average(self) -> str:
        answers = sum(count for _, count in self.satisfaction)
        if not answers:
            return "–"
        total = sum(int(score) * count for score, count in self.satisfaction)
        return f"{total / answers:.1f}".replace(".", ",")

    @property
    def busiest(self) -> list[tuple[str, int]]:
        """The three busiest hours of the week, e.g. ('mandag kl. 10-11', 57)."""
        top = sorted(self.hours.items(), key=lambda item: (-item[1], item[0]))[:3]
        return [(f"{WEEKDAY_NAMES[day]} kl. {hour:02d}-{hour + 1:02d}", count) for (day, hour), count in top if count]


def period_start(day: date, grouping: str) -> date:
    if grouping == "week":
        return day - timedelta(days=day.weekday())
    if grouping == "month":
        return day.replace(day=1)
    return day


def period_label(start: date, grouping: str) -> str:
    if grouping == "week":
        year, week, _ = start.isocalendar()
        return f"Uge {week} {year}"
    if grouping == "month":
        return f"{MONTH_ABBREVIATIONS[start.month - 1]} {start.year}"
    return f"{start.day}.{start.month}."


def _periods(first: date, last: date, grouping: str) -> list[date]:
    starts, day = [], period_start(first, grouping)
    while day <= last:
        starts.append(day)
        day = (
            (day + timedelta(days=32)).replace(day=1)
            if grouping == "month"
            else day + timedelta(days=7 if grouping == "week" else 1)
        )
    return starts


def wait_of(histogram: Counter) -> Wait:
    count = sum(histogram.values())
    if not count:
        return Wait(0, None, None)

    def percentile(share: float) -> int:
        needed, seen = math.ceil(share * count), 0
        for bucket in sorted(histogram):
            seen += histogram[bucket]
            if seen >= needed:
                return bucket
        return max(histogram)

    return Wait(count, percentile(0.5), percentile(0.9))


def build_report(counts: Counts, first: date, last: date, channel: str | None, grouping: str) -> Report:
    totals: Counter = Counter()
    details: dict[str, Counter] = {}
    per_period: dict[date, Counter] = {start: Counter() for start in _periods(first, last, grouping)}
    for (day, row_channel, figure, detail), value in counts.items():
        if not first <= day <= last or (channel and row_channel != channel):
            continue
        totals[figure] += value
        details.setdefault(figure, Counter())[detail] += value
        period = per_period.get(period_start(day, grouping))
        if period is not None:
            period[figure] += value
    helped_topics = set(details.get("helped_yes", {})) | set(details.get("helped_no", {}))
    helped = sorted(
        (
            (topic_label(t), details.get("helped_yes", Counter())[t], details.get("helped_no", Counter())[t])
            for t in helped_topics
        ),
        key=lambda row: (-(row[1] + row[2]), row[0]),
    )
    hours: dict[tuple[int, int], int] = {}
    for detail, value in details.get("hour", {}).items():
        weekday, hour = detail.split("-")
        hours[(int(weekday), int(hour))] = value
    return Report(
        first=first,
        last=last,
        channel=channel,
        grouping=grouping,
        totals=totals,
        periods=[
            (period_label(start, grouping), c["conversations"], c["contained"]) for start, c in per_period.items()
        ],
        helped=helped,
        reasons=[(_reason_label(reason), n) for reason, n in details.get("handoff", Counter()).most_common()],
        topics=[(topic_label(topic), n) for topic, n in details.get("topic", Counter()).most_common(10)],
        languages=[(LANGUAGES.get(code, code), n) for code, n in details.get("language", Counter()).most_common()],
        satisfaction=[(str(score), details.get("satisfaction", Counter())[str(score)]) for score in range(1, 6)],
        booking_ends=[(label, details.get("booking_status", Counter())[status]) for status, label in BOOKING_ENDS],
        hours=hours,
        claim=wait_of(Counter({int(k): v for k, v in details.get("claim_wait", {}).items()})),
        reply=wait_of(Counter({int(k): v for k, v in details.get("reply_wait", {}).items()})),
    )


def _reason_label(reason: str) -> str:
    try:
        return (
            REASON_LABELS[Reason(reason)]
            .removeprefix("Borgeren ")
            .removeprefix("Assistenten ")
            .rstrip(".")
            .capitalize()
        )
    except ValueError:
        return reason


def format_wait(seconds: int | None) -> str:
    """'højst 30 sek.', 'højst 4 min.', 'højst 2 t. 10 min.': the upper bound of the wait's step."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"højst {seconds} sek."
    minutes = seconds // 60
    if minutes < 60:
        return f"højst {minutes} min."
    return f"højst {minutes // 60} t. {minutes % 60} min." if minutes % 60 else f"højst {minutes // 60} t."


def csv_rows(counts: Counts, first: date, last: date) -> list[dict[str, object]]:
    """One row per day and channel that had anything, in date then channel order."""
    rows: dict[tuple[date, str], Counter] = {}
    for (day, channel, figure, _detail), value in counts.items():
        if first <= day <= last:
            rows.setdefault((day, channel), Counter())[figure] += value
    return [
        {
            "date": day.isoformat(),
            "channel": channel,
            **{column: figures[figure] for column, figure in _CSV_FIGURES.items()},
        }
        for (day, channel), figures in sorted(rows.items())
    ]


def csv_text(counts: Counts, first: date, last: date) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(csv_rows(counts, first, last))
    return out.getvalue()
