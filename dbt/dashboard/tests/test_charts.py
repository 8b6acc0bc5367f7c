from __future__ import annotations

import re

from caec_dashboard import charts
from caec_dashboard.charts import Bar, Column, Series


def marks(svg: str) -> list[str]:
    return re.findall(r'data-value="([^"]*)"', svg)


def test_line_chart_draws_one_mark_per_point_and_escapes_labels() -> None:
    svg = charts.line_chart(
        "t", ["2026-10-05", "2026-10-06"], [Series("a<b", [1, 2]), Series("c", [3, None])]
    )
    assert marks(svg) == ["1", "2", "3"]
    assert 'data-points="3"' in svg and 'data-chart="t"' in svg
    assert "a&lt;b" in svg and "a<b" not in svg


def test_empty_inputs_render_an_explicit_empty_state() -> None:
    for svg in (
        charts.line_chart("t", [], [Series("a", [])]),
        charts.bar_chart("b", []),
        charts.bar_chart("b", [Bar("x", 0)]),
        charts.funnel_chart("f", [("sessions", 0)]),
        charts.retention_heatmap("r", [], {}),
        charts.table_chart("p", [], [Column("a", "a")], "a"),
    ):
        assert 'data-points="0"' in svg and "data-value" not in svg


def test_funnel_reports_step_conversion() -> None:
    svg = charts.funnel_chart("f", [("sessions", 100), ("view", 50), ("cart", 10), ("buy", 5)])
    assert re.findall(r'data-conversion="([^"]*)"', svg) == ["1.0", "0.5", "0.2", "0.5"]
    assert "20.0% of previous step · 10.0% overall" in svg


def test_heatmap_cells_and_cohort_sizes() -> None:
    svg = charts.retention_heatmap(
        "r", [("2026-10-05", 0, 1.0, 10), ("2026-10-05", 1, 0.3, 3)], {"2026-10-05": 10}
    )
    assert re.findall(r'data-week="(\d)"', svg) == ["0", "1"]
    assert ">100%<" in svg and ">30%<" in svg


def test_table_chart_has_a_bar_per_row() -> None:
    html = charts.table_chart(
        "p",
        [{"page": "/a", "views": 10}, {"page": "/b", "views": 5}],
        [Column("page", "page"), Column("views", "views", str, True)],
        "views",
    )
    assert marks(html) == ["10", "5"]
    assert 'style="width:100.0%"' in html and 'style="width:50.0%"' in html


def test_formats_and_ticks() -> None:
    assert (
        charts.fmt_compact(1500) == "1.5k"
        and charts.fmt_compact(2_000_000) == "2M"
        and charts.fmt_compact(12) == "12"
    )
    assert (
        charts.fmt_pct(0.1234) == "12.3%"
        and charts.fmt_seconds(125) == "2m 05s"
        and charts.fmt_seconds(42) == "42s"
    )
    assert charts.nice_ticks(0, 95) == [0, 25, 50, 75, 100]
    assert charts.nice_ticks(0, 0.3)[-1] >= 0.3
