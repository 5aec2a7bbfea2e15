"""Charts as SVG drawn on the server: plain <rect> and <text>, coloured by CSS classes.

Hand-built because the console's CSP allows no inline style and no script: pygal embeds both, and
matplotlib's SVG carries `style` attributes and a <style> element. Each chart names itself with
<title> and <desc> (aria-labelledby); the page puts a table with the same numbers beside it.
All text is escaped here; the result is safe to insert as markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from bot.danish import WEEKDAY_NAMES

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, WIDTH = 22, 8, 230, 640


def _frame(chart_id: str, title: str, description: str, width: int, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def bar_chart(chart_id: str, title: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """Horizontal bars, one per row, the number at the bar's end."""
    largest = max((value for _, value in rows), default=0) or 1
    room = WIDTH - LABEL_WIDTH - 60
    body: list[str] = []
    for index, (label, value) in enumerate(rows):
        y = index * (BAR_HEIGHT + BAR_GAP)
        length = round(room * value / largest)
        body.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end">{escape(_short(label))}</text>'
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}"/>'
            f'<text class="chart-value" x="{LABEL_WIDTH + length + 6}" y="{y + 16}">{_number(value)}</text>'
        )
    height = max(1, len(rows)) * (BAR_HEIGHT + BAR_GAP)
    description = "; ".join(f"{label}: {_number(value)}" for label, value in rows) or "Ingen tal i perioden."
    return _frame(chart_id, title, description, WIDTH, height, body)


def column_chart(chart_id: str, title: str, rows: Sequence[tuple[str, int, int]], names: tuple[str, str]) -> Markup:
    """Columns over time: the whole (light) with a part of it (dark) in front, e.g. conversations and contained."""
    height, bottom, left = 220, 190, 40
    largest = max((whole for _, whole, _ in rows), default=0) or 1
    step = (WIDTH - left) / max(1, len(rows))
    width = max(2.0, step * 0.7)
    # Label every n-th column, so that labels of about 7 px a letter never overlap.
    widest = max((len(label) for label, _, _ in rows), default=1) * 7 + 10
    every = max(1, math.ceil(widest / step))
    body = [
        f'<line class="chart-axis" x1="{left}" y1="{bottom}" x2="{WIDTH}" y2="{bottom}"/>',
        f'<text class="chart-value" x="{left - 4}" y="12" text-anchor="end">{_number(largest)}</text>',
    ]
    for index, (label, whole, part) in enumerate(rows):
        x = left + index * step
        whole_height = (bottom - 10) * whole / largest
        part_height = (bottom - 10) * part / largest
        body.append(
            f'<rect class="chart-bar-light" x="{x:.1f}" y="{bottom - whole_height:.1f}" width="{width:.1f}" height="{whole_height:.1f}"/>'
            f'<rect class="chart-bar" x="{x:.1f}" y="{bottom - part_height:.1f}" width="{width:.1f}" height="{part_height:.1f}"/>'
        )
        if index % every == 0:
            body.append(f'<text class="chart-label" x="{x:.1f}" y="{height - 12}">{escape(label)}</text>')
    description = f"Mørk: {names[1]}. Lys: {names[0]}. " + "; ".join(
        f"{label}: {_number(whole)} {names[0]}, {_number(part)} {names[1]}" for label, whole, part in rows
    )
    return _frame(chart_id, title, description, WIDTH, height, body)


def heat_map(chart_id: str, title: str, hours: dict[tuple[int, int], int]) -> Markup:
    """Weekdays down, hours across; the darker, the more conversations started in that hour."""
    cell, left, top = 22, 70, 20
    largest = max(hours.values(), default=0) or 1
    body: list[str] = []
    for hour in range(0, 24, 3):
        body.append(f'<text class="chart-label" x="{left + hour * cell}" y="14">{hour:02d}</text>')
    for weekday, name in enumerate(WEEKDAY_NAMES):
        y = top + weekday * cell
        body.append(f'<text class="chart-label" x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(name)}</text>')
        for hour in range(24):
            value = hours.get((weekday, hour), 0)
            level = 0 if value == 0 else 1 + min(3, int(4 * value / (largest + 1)))
            body.append(
                f'<rect class="heat-{level}" x="{left + hour * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}"/>'
            )
    busiest = sorted(hours.items(), key=lambda item: -item[1])[:3]
    description = "Travleste timer: " + (
        "; ".join(f"{WEEKDAY_NAMES[d]} kl. {h:02d}: {_number(v)}" for (d, h), v in busiest if v) or "ingen samtaler"
    )
    return _frame(chart_id, title, description, left + 24 * cell, top + 7 * cell, body)


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
