"""Inline SVG charts generated in Python: no chart library, no CDN, nothing to download.

Every function is pure (data in, markup out). Each drawn data element carries ``data-value`` (and a
label attribute) plus a ``data-tip`` the page's small script shows on hover; each chart root carries
``data-chart`` and ``data-points`` (how many data elements it drew), so the browser test can check that
every chart rendered data rather than an empty frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d")

Formatter = Callable[[float], str]


# ---------------------------------------------------------------------------- number formats


def fmt_int(value: float) -> str:
    return f"{round(value):,}"


def fmt_compact(value: float) -> str:
    """Axis labels: 1.2k, 3.4M."""
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if magnitude >= 1_000:
        return f"{value / 1_000:.1f}k".replace(".0k", "k")
    return f"{value:.0f}" if value == int(value) else f"{value:.2g}"


def fmt_pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def fmt_seconds(value: float) -> str:
    if value < 60:
        return f"{value:.0f}s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}m {seconds:02d}s"


def fmt_money(value: float) -> str:
    return f"{value:,.2f}"


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round axis ticks covering [low, high] (1-2-5 steps), so axes read naturally."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _attr(**attrs: object) -> str:
    return " ".join(
        f'{k.replace("_", "-")}="{escape(str(v), quote=True)}"' for k, v in attrs.items() if v is not None
    )


def _svg(
    kind: str,
    chart: str,
    points: int,
    width: int,
    height: float,
    parts: Sequence[str],
    *,
    label: bool = False,
) -> str:
    """A chart's root element (class, ``data-chart``, ``data-points``, view box) around its drawn parts."""
    aria = f' aria-label="{escape(chart)}"' if label else ""
    return (
        f'<svg class="chart {kind}" {_attr(data_chart=chart, data_points=points)} '
        f'viewBox="0 0 {width} {height}" role="img"{aria}>' + "".join(parts) + "</svg>"
    )


def empty(chart: str, message: str, height: int = 120) -> str:
    """What a chart shows when its query returned nothing (the test treats it as not rendered)."""
    return (
        f'<svg class="chart empty" data-chart="{escape(chart)}" data-points="0" viewBox="0 0 640 {height}" '
        f'role="img"><text x="320" y="{height / 2}" text-anchor="middle" class="muted">{escape(message)}</text></svg>'
    )


# ---------------------------------------------------------------------------- line chart


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str = PALETTE[0]


def line_chart(
    chart: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_format: Formatter = fmt_compact,
    tip_format: Formatter = fmt_int,
    width: int = 640,
    height: int = 240,
    y_from_zero: bool = True,
) -> str:
    """Multi-series line chart over days; one ``circle`` per point with its value."""
    values = [v for s in series for v in s.values if v is not None]
    if not x_labels or not values:
        return empty(chart, "no data for this period")
    left, right, top, bottom = 56, 24, 14, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    low = 0.0 if y_from_zero else min(values)
    ticks = nice_ticks(low, max(values))
    y_min, y_max = ticks[0], ticks[-1]
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (plot_w * (i / (n - 1)) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - (v - y_min) / (y_max - y_min) * plot_h

    parts = []
    for t in ticks:
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{escape(y_format(t))}</text>'
        )
    every = max(1, math.ceil(n / 8))
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            parts.append(
                f'<text class="axis" x="{x(i):.1f}" y="{height - bottom + 16}" text-anchor="middle">{escape(label[5:] if len(label) == 10 else label)}</text>'
            )
    for s in series:
        points = [(x(i), y(v)) for i, v in enumerate(s.values) if v is not None]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline fill="none" stroke="{s.color}" stroke-width="2" points="{path}"/>')
        for i, v in enumerate(s.values):
            if v is None:
                continue
            tip = f"{x_labels[i]} · {s.name}: {tip_format(v)}"
            parts.append(
                f'<circle class="mark" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{s.color}" '
                f"{_attr(data_series=s.name, data_x=x_labels[i], data_value=v, data_tip=tip)}/>"
            )
    legend_x = left
    for s in series:
        parts.append(
            f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" fill="{s.color}"/>'
            f'<text class="legend" x="{legend_x + 14}" y="{height - 5}">{escape(s.name)}</text>'
        )
        legend_x += 24 + 7 * len(s.name)
    return _svg("line", chart, len(values), width, height, parts, label=True)


# ---------------------------------------------------------------------------- bar charts


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""


def bar_chart(
    chart: str,
    bars: Sequence[Bar],
    *,
    value_format: Formatter = fmt_int,
    color: str = PALETTE[0],
    width: int = 640,
) -> str:
    """Horizontal bars, longest first as given; label left, value (and note) right."""
    if not bars or all(b.value == 0 for b in bars):
        return empty(chart, "no data for this period")
    row, label_w, value_w = 26, 150, 170
    height = row * len(bars) + 8
    scale = (width - label_w - value_w) / max(b.value for b in bars)
    parts = []
    for i, b in enumerate(bars):
        y = 4 + i * row
        shown = f"{value_format(b.value)}{'  ' + b.note if b.note else ''}"
        parts.append(
            f'<text class="label" x="{label_w - 8}" y="{y + 16}" text-anchor="end">{escape(_clip(b.label, 22))}</text>'
            f'<rect class="mark" x="{label_w}" y="{y + 3}" width="{max(b.value * scale, 1.5):.1f}" height="{row - 8}" '
            f'rx="3" fill="{color}" {_attr(data_label=b.label, data_value=b.value, data_tip=f"{b.label}: {shown}")}/>'
            f'<text class="value" x="{label_w + max(b.value * scale, 1.5) + 6:.1f}" y="{y + 16}">{escape(shown)}</text>'
        )
    return _svg("bars", chart, len(bars), width, height, parts)


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def funnel_chart(chart: str, steps: Sequence[tuple[str, float]], width: int = 640) -> str:
    """Ordered funnel: one bar per step, with conversion from the previous step and from the first."""
    if not steps or not steps[0][1]:
        return empty(chart, "no sessions in this period")
    row, label_w, note_w = 44, 110, 236
    height = row * len(steps) + 6
    top = steps[0][1]
    scale = (width - label_w - note_w - 10) / top
    parts = []
    previous = top
    for i, (label, value) in enumerate(steps):
        y = 4 + i * row
        step_rate = value / previous if previous else 0.0
        overall = value / top
        note = "" if i == 0 else f"{fmt_pct(step_rate)} of previous step · {fmt_pct(overall)} overall"
        bar_w = max(value * scale, 1.5)
        x0 = label_w + (width - label_w - note_w - 10 - bar_w) / 2
        parts.append(
            f'<text class="label" x="{label_w - 8}" y="{y + 24}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="mark" x="{x0:.1f}" y="{y + 4}" width="{bar_w:.1f}" height="{row - 12}" rx="4" '
            f'fill="{PALETTE[i % len(PALETTE)]}" '
            f"{_attr(data_step=label, data_value=value, data_conversion=round(step_rate, 6), data_tip=f'{label}: {fmt_int(value)} sessions' + (f' ({note})' if note else ''))}/>"
            f'<text class="value" x="{width - note_w}" y="{y + 18}">{escape(fmt_int(value))} sessions</text>'
            f'<text class="muted small" x="{width - note_w}" y="{y + 33}">{escape(note)}</text>'
        )
        previous = value
    return _svg("funnel", chart, len(steps), width, height, parts)


# ---------------------------------------------------------------------------- heatmap


def _blue(rate: float) -> str:
    """Light-to-dark blue for 0..1 (retention rates); readable text colour chosen by the caller."""
    rate = max(0.0, min(1.0, rate))
    light, dark = (239, 246, 255), (30, 64, 175)
    r, g, b = (round(lo + (hi - lo) * rate**0.6) for lo, hi in zip(light, dark, strict=True))
    return f"rgb({r},{g},{b})"


def retention_heatmap(
    chart: str, cells: Sequence[tuple[str, int, float, int]], cohort_sizes: dict[str, int], width: int = 640
) -> str:
    """Cohort x week-number grid; cells are (cohort_week, week_number, retention_rate, active_visitors)."""
    if not cells:
        return empty(chart, "no cohorts yet")
    cohorts = sorted({c[0] for c in cells})
    weeks = sorted({c[1] for c in cells})
    label_w, size_w, header = 92, 70, 22
    cell_w = min(64.0, (width - label_w - size_w) / len(weeks))
    cell_h = 26
    height = header + cell_h * len(cohorts) + 4
    x0 = label_w + size_w
    parts = [
        f'<text class="axis" x="{label_w - 6}" y="15" text-anchor="end">cohort week</text>',
        f'<text class="axis" x="{label_w + size_w - 8}" y="15" text-anchor="end">visitors</text>',
    ]
    for j, week in enumerate(weeks):
        parts.append(
            f'<text class="axis" x="{x0 + j * cell_w + cell_w / 2:.1f}" y="15" text-anchor="middle">wk {week}</text>'
        )
    index = {c: i for i, c in enumerate(cohorts)}
    for cohort in cohorts:
        y = header + index[cohort] * cell_h
        parts.append(
            f'<text class="label" x="{label_w - 6}" y="{y + 17}" text-anchor="end">{escape(cohort)}</text>'
            f'<text class="value" x="{label_w + size_w - 8}" y="{y + 17}" text-anchor="end">{fmt_int(cohort_sizes.get(cohort, 0))}</text>'
        )
    for cohort, week, rate, active in cells:
        y = header + index[cohort] * cell_h
        x = x0 + weeks.index(week) * cell_w
        text_color = "#fff" if rate > 0.45 else "#1e293b"
        tip = f"cohort {cohort}, week {week}: {fmt_pct(rate)} ({fmt_int(active)} visitors)"
        parts.append(
            f'<rect class="mark" x="{x + 1:.1f}" y="{y + 1}" width="{cell_w - 2:.1f}" height="{cell_h - 2}" rx="2" '
            f'fill="{_blue(rate)}" {_attr(data_cohort=cohort, data_week=week, data_value=rate, data_tip=tip)}/>'
            f'<text x="{x + cell_w / 2:.1f}" y="{y + 17}" text-anchor="middle" class="cell" style="fill:{text_color}">'
            f"{rate * 100:.0f}%</text>"
        )
    return _svg("heatmap", chart, len(cells), width, height, parts)


# ---------------------------------------------------------------------------- table with bars


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    fmt: Callable[[object], str] = str
    numeric: bool = False


def _as_float(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def table_chart(
    chart: str, rows: Sequence[dict[str, object]], columns: Sequence[Column], bar_key: str
) -> str:
    """A ranked table whose ``bar_key`` column carries an inline bar (top pages, top products)."""
    if not rows:
        return f'<table class="chart table empty" data-chart="{escape(chart)}" data-points="0"><tr><td class="muted">no data for this period</td></tr></table>'
    top = max(_as_float(r.get(bar_key)) for r in rows) or 1.0
    head = "".join(f'<th class="{"num" if c.numeric else ""}">{escape(c.title)}</th>' for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = row.get(c.key)
            text = "—" if value is None else c.fmt(value)
            if c.key == bar_key:
                share = _as_float(value) / top * 100
                cells.append(
                    f'<td class="num bar-cell"><span class="bar" style="width:{share:.1f}%"></span>'
                    f"<span>{escape(text)}</span></td>"
                )
            else:
                cells.append(f'<td class="{"num" if c.numeric else "text"}">{escape(text)}</td>')
        label = str(row.get(columns[0].key))
        body.append(
            f'<tr class="mark" {_attr(data_label=label, data_value=row.get(bar_key), data_tip=f"{label}: {row.get(bar_key)}")}>'
            + "".join(cells)
            + "</tr>"
        )
    return (
        f'<table class="chart table" {_attr(data_chart=chart, data_points=len(rows))}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )
