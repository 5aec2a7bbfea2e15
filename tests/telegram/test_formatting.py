"""Telegram's shapes: HTML with everything escaped, parts of at most 4096 characters cut where sentences end."""
from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.channels.telegram.formatting import split_text, to_html, utf16_length
from bot.channels.telegram.replies import button_data, keyboard, parse_button_data, render
from bot.gateway.views import MessageView
from bot.store import Sender
from tests.telegram.fake_bot_api import visible_text


def test_links_and_bold_are_kept_and_everything_else_escaped():
    text = 'Gå til [MitID.dk](https://www.mitid.dk/?a=1&b="2") og **husk** <script>alert(1)</script> & a > b'
    html = to_html(text)
    assert '<a href="https://www.mitid.dk/?a=1&amp;b=&quot;2&quot;">MitID.dk</a>' in html
    assert "<b>husk</b>" in html
    assert visible_text(html, "HTML") == 'Gå til MitID.dk og husk <script>alert(1)</script> & a > b'


def test_only_http_links_become_links():
    assert to_html("[klik](javascript:alert(1))") == "[klik](javascript:alert(1))"


def test_numbered_steps_are_not_taken_for_sentence_ends():
    text = "1. Åbn appen og vælg noget.\n2. Tryk på knappen."
    assert split_text(text, 30) == ["1. Åbn appen og vælg noget.", "2. Tryk på knappen."]


def test_a_link_is_never_cut_in_two():
    text = "Se her. [Læs mere. Det er vigtigt](https://www.borger.dk/) nu."
    parts = split_text(text, 55)
    assert "[Læs mere. Det er vigtigt](https://www.borger.dk/)" in parts[1]


def test_a_text_without_any_space_is_cut_at_the_limit():
    assert [len(part) for part in split_text("x" * 5000)] == [4096, 904]


def test_emoji_count_double_as_telegram_counts_them():
    parts = split_text("😀" * 3000)
    assert all(utf16_length(part) <= 4096 for part in parts) and "".join(parts) == "😀" * 3000


sentences = st.lists(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300).map(
        lambda s: re.sub(r"\s+", " ", s).strip() + "."
    ),
    min_size=1,
    max_size=40,
)


@given(sentences, st.integers(min_value=20, max_value=600))
def test_every_part_fits_and_nothing_is_lost(parts, limit):
    text = " ".join(parts)
    split = split_text(text, limit)
    assert all(utf16_length(part) <= limit for part in split)
    assert re.sub(r"\s+", "", "".join(split)) == re.sub(r"\s+", "", text)


def test_buttons_carry_short_ids_whatever_their_payload():
    payload = '/inform{"booking_time": "2026-11-24T10:00:00+01:00", "booking_kind": "callback"}'
    message = MessageView(id=123456789, conversation_id="c", sender=Sender.BOT, text="Vælg",
                          buttons=[{"title": "Tirsdag kl. 10.00", "payload": payload}, {"title": "Andre tider", "payload": "Andre tider"}])
    rows = keyboard(message).inline_keyboard
    assert [[b.callback_data for b in row] for row in rows] == [["m:123456789:0"], ["m:123456789:1"]]
    assert parse_button_data(button_data(2**59, 99)) == (2**59, 99)
    assert parse_button_data("m:1:x") is None and parse_button_data(None) is None


def test_buttons_only_still_get_a_text_and_the_handoff_payload_alone_shows_nothing():
    with_buttons = MessageView(id=1, conversation_id="c", sender=Sender.BOT, text="", buttons=[{"title": "Ja", "payload": "/affirm"}])
    assert [item.plain for item in render(with_buttons)] == ["Vælg en af mulighederne:"]
    handoff = MessageView(id=2, conversation_id="c", sender=Sender.BOT, text="", custom={"handoff": {"reason": "x"}})
    assert render(handoff) == []


def test_a_long_staff_reply_is_split_with_the_name_on_the_first_part_only():
    text = " ".join(["Det her er en lang forklaring fra en medarbejder."] * 100)
    message = MessageView(id=3, conversation_id="c", sender=Sender.STAFF, text=text, staff_name="Anne")
    items = render(message)
    assert len(items) == 2
    assert items[0].plain.startswith("Anne (medarbejder):\n") and not items[1].plain.startswith("Anne")
    assert all(utf16_length(visible_text(item.html, "HTML")) <= 4096 for item in items)
