"""Danish as the assistant writes it: dates, clock times, topic labels."""
from __future__ import annotations

from datetime import date, datetime, time

from bot.danish import format_clock, format_day, format_moment, is_question, topic_label


def test_formatting():
    assert format_moment(datetime(2026, 11, 24, 10, 0)) == "tirsdag 24. nov. kl. 10.00"
    assert format_day(date(2027, 5, 3)) == "mandag 3. maj"
    assert format_clock(time(9, 5)) == "kl. 09.05"


def test_topic_labels():
    assert topic_label("mitid_blocked") == "MitID er spærret"
    assert topic_label(None) == "Andet"
    assert is_question("mitid_blocked") and not is_question("greet")
