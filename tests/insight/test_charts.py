"""The SVG charts: named for screen readers, text escaped, no inline style, labels that do not overlap."""
from __future__ import annotations

import re

from bot.insight.charts import bar_chart, column_chart, heat_map


def test_a_bar_chart_is_named_escaped_and_has_no_inline_style():
    svg = str(bar_chart("chart-x", "Grunde <b>", [("<script>alert(1)</script>", 3), ("Andet", 1)]))
    assert svg.startswith('<svg class="chart" id="chart-x" role="img" aria-labelledby="chart-x-title chart-x-desc"')
    assert '<title id="chart-x-title">Grunde &lt;b&gt;</title>' in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: 3; Andet: 1" in svg  # the numbers in the description too
    widths = [float(w) for w in re.findall(r'class="chart-bar" x="\d+" y="\d+" width="(\d+)"', svg)]
    assert abs(widths[0] - 3 * widths[1]) <= 3  # rounded to whole pixels


def test_a_year_by_day_labels_only_as_many_columns_as_fit():
    rows = [(f"{day}.12.", day, day // 2) for day in range(1, 366)]
    svg = str(column_chart("chart-y", "Samtaler", rows, ("samtaler", "klaret alene")))
    xs = [float(x) for x in re.findall(r'<text class="chart-label" x="([\d.]+)"', svg)]
    assert 5 < len(xs) < 40
    assert all(later - earlier >= 7 * len("365.12.") for earlier, later in zip(xs, xs[1:]))


def test_the_heat_map_marks_the_busiest_hour_darkest():
    svg = str(heat_map("chart-h", "Timer", {(0, 10): 40, (4, 22): 1}))
    assert svg.count('class="heat-4"') == 1 and svg.count('class="heat-1"') == 1
    assert "mandag kl. 10: 40" in svg
