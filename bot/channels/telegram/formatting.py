"""Our messages in Telegram's shapes: HTML with everything escaped, at most 4096 characters each.

Answers use the same light markup the web widget shows: `[label](https://...)` links and `**bold**`.
Everything else is escaped, so a `<` typed by staff or quoted from a citizen is shown as text.
Bare addresses need no markup: Telegram makes them clickable itself.
"""
from __future__ import annotations

import html
import re

MAX_MESSAGE = 4096  # Telegram's limit for one message's text, counted in UTF-16 code units
_MARKUP = re.compile(r"\[([^\]\n]{1,200})\]\((https?://[^\s)]+)\)|\*\*([^*\n]{1,200})\*\*")
# Where a sentence ends (group 1, the space after it): . ! ? or … after something that is not a
# digit ("1. Gå til" is a step, not a sentence), closing quotes kept with it; and every line end.
_SENTENCE_END = re.compile(r"(?<=[^\s\d])[.!?…]+[\"»”)]*(\s+)|(\n+)")
_SPACE = re.compile(r"(\s+)")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def to_html(text: str) -> str:
    """Telegram HTML for a message: links and bold kept, everything else escaped."""
    parts: list[str] = []
    index = 0
    for match in _MARKUP.finditer(text):
        parts.append(html.escape(text[index : match.start()], quote=False))
        label, url, bold = match.groups()
        if url:
            parts.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(label, quote=False)}</a>')
        else:
            parts.append(f"<b>{html.escape(bold, quote=False)}</b>")
        index = match.end()
    parts.append(html.escape(text[index:], quote=False))
    return "".join(parts)


def _fits(text: str, limit: int) -> int:
    """How many characters from the start of `text` fit in `limit` UTF-16 units."""
    if utf16_length(text) <= limit:
        return len(text)
    used = 0
    for position, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return position
    return len(text)


def _cut(text: str, limit: int) -> tuple[int, int]:
    """Where to end the first part and start the next: the last sentence end that fits."""
    room = _fits(text, limit)
    inside_markup = [(m.start(), m.end()) for m in _MARKUP.finditer(text, 0, room + 300)]

    def free(position: int) -> bool:
        return not any(start < position < end for start, end in inside_markup)

    for pattern in (_SENTENCE_END, _SPACE):
        gaps = [(m.start(m.lastindex or 0), m.end()) for m in pattern.finditer(text, 0, room + 1)]
        gaps = [(end, start) for end, start in gaps if 0 < end <= room and free(end)]
        if gaps:
            return gaps[-1]
    return room, room


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """The text in parts of at most `limit` characters, cut where sentences end."""
    parts: list[str] = []
    rest = text.strip()
    while utf16_length(rest) > limit:
        end, start = _cut(rest, limit)
        parts.append(rest[:end].rstrip())
        rest = rest[start:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts
