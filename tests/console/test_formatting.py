"""The console formats the assistant's answers by the widget's rules: the two scripts' patterns are the same."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_PATTERN = re.compile(r"^\s*var LINK = (/.+/g);$", re.MULTILINE)


def link_pattern(path: Path) -> str:
    [pattern] = _PATTERN.findall(path.read_text(encoding="utf-8"))
    return pattern


def test_console_and_widget_format_the_assistants_answers_alike():
    widget = link_pattern(ROOT / "bot/channels/web/static/widget/widget.js")
    console = link_pattern(ROOT / "bot/console/static/common.js")
    assert console == widget
    assert "https?:" in console  # only http(s) addresses become links
