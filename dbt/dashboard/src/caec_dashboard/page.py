"""Assemble the dashboard: query results -> charts -> one self-contained HTML page.

Everything the page needs is inline (CSS, SVG, a few lines of JS for tooltips): the file opens offline,
can be mailed or attached to a ticket, and makes no network request (the browser test checks that).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from caec_dashboard import charts
from caec_dashboard.charts import Bar, Column, Series
from caec_dashboard.queries import QUARANTINE_REASONS

Rows = list[dict[str, Any]]

CHART_IDS = (
    "traffic",
    "bounce_rate",
    "session_duration",
    "funnel",
    "retention",
    "top_pages",
    "top_products",
    "channels",
    "devices",
    "quarantine_reasons",
    "dq_daily",
)

CSS = """
:root { --fg:#0f172a; --muted:#64748b; --line:#e2e8f0; --bg:#f8fafc; --card:#fff; --accent:#2563eb; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { padding:20px 28px 8px; }
header h1 { margin:0 0 4px; font-size:22px; }
header p { margin:0; color:var(--muted); }
main { display:grid; grid-template-columns:repeat(auto-fit,minmax(560px,1fr)); gap:16px; padding:16px 28px 32px; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; min-width:0; }
section.wide { grid-column:1/-1; }
section h2 { margin:0 0 2px; font-size:16px; }
section p.note { margin:0 0 10px; color:var(--muted); font-size:12px; }
.kpis { display:grid; grid-template-columns:repeat(auto-fit,minmax(130px,1fr)); gap:10px; }
.kpi { border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
.kpi .v { font-size:20px; font-weight:600; }
.kpi .k { color:var(--muted); font-size:12px; }
.pair { display:grid; grid-template-columns:1fr 1fr; gap:12px; }
.pair h3 { margin:4px 0; font-size:13px; color:var(--muted); font-weight:500; }
svg.chart { width:100%; height:auto; display:block; }
svg .grid { stroke:var(--line); }
svg text { font-size:11px; fill:var(--fg); }
svg text.axis, svg text.muted, svg .legend { fill:var(--muted); }
svg text.small { font-size:10px; }
svg text.cell { font-size:10px; }
svg .mark:hover { opacity:.8; }
table.chart { width:100%; border-collapse:collapse; font-size:12px; }
table.chart th { text-align:left; color:var(--muted); font-weight:500; border-bottom:1px solid var(--line); padding:4px 6px; }
table.chart td { border-bottom:1px solid var(--line); padding:4px 6px; white-space:nowrap; }
table.chart td.text { max-width:260px; overflow:hidden; text-overflow:ellipsis; }
table.chart .num { text-align:right; }
td.bar-cell { position:relative; min-width:110px; }
td.bar-cell .bar { position:absolute; left:0; top:3px; bottom:3px; background:#dbeafe; border-radius:3px; }
td.bar-cell span:last-child { position:relative; }
#tip { position:absolute; pointer-events:none; background:#0f172a; color:#fff; padding:4px 8px; border-radius:4px; font-size:12px; max-width:360px; }
footer { color:var(--muted); font-size:12px; padding:0 28px 24px; }
.bad { color:#b91c1c; } .good { color:#15803d; }
"""

JS = """
(function () {
  var tip = document.getElementById('tip');
  document.addEventListener('mouseover', function (e) {
    var el = e.target.closest ? e.target.closest('[data-tip]') : null;
    if (!el) { tip.hidden = true; return; }
    tip.textContent = el.getAttribute('data-tip');
    tip.hidden = false;
  });
  document.addEventListener('mousemove', function (e) {
    tip.style.left = (e.pageX + 14) + 'px';
    tip.style.top = (e.pageY + 14) + 'px';
  });
  var charts = document.querySelectorAll('[data-chart]');
  var drawn = 0;
  charts.forEach(function (c) { if (c.querySelector('[data-value]')) { drawn += 1; } });
  document.body.setAttribute('data-charts', String(charts.length));
  document.body.setAttribute('data-charts-with-data', String(drawn));
})();
"""


@dataclass(frozen=True)
class PageInfo:
    title: str
    source: str
    generated_at: dt.datetime


def _num(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def _kpi(label: str, value: str, css: str = "") -> str:
    return f'<div class="kpi"><div class="v {css}">{escape(value)}</div><div class="k">{escape(label)}</div></div>'


def _section(title: str, note: str, body: str, *, wide: bool = False, key: str = "") -> str:
    cls = ' class="wide"' if wide else ""
    return f'<section{cls} data-section="{escape(key)}"><h2>{escape(title)}</h2><p class="note">{escape(note)}</p>{body}</section>'


def _hidden_section(title: str, reason: str, *, key: str) -> str:
    """A panel the data cannot fill: its title and why it is not drawn, instead of a chart of zeros."""
    return (
        f'<section data-section="{escape(key)}" data-hidden="{escape(reason)}"><h2>{escape(title)}</h2>'
        f'<p class="note">not shown: {escape(reason)}</p></section>'
    )


def commerce_missing(data: Mapping[str, Rows]) -> str | None:
    """Why the commerce panels are hidden (None when the data has commerce events).

    A content site's logs have page views only: a funnel, top products, orders and revenue would be
    all zeros, which reads as "nobody bought anything" rather than "not measured".
    """
    funnel = (data.get("funnel") or [{}])[0]
    kpis = (data.get("kpis") or [{}])[0]
    steps = ("product_view_sessions", "cart_sessions", "purchase_sessions")
    products = data.get("top_products") or []
    if (
        any(_num(funnel.get(k)) > 0 for k in steps)
        or _num(kpis.get("orders")) > 0
        or any(_num(p.get("view_count")) > 0 for p in products)
    ):
        return None
    return "the data has no product view, add-to-cart or purchase event (e.g. a content site's logs)"


def kpi_block(kpis: Mapping[str, Any], *, commerce: bool = True) -> str:
    commerce_kpis = [
        _kpi("conversion rate", charts.fmt_pct(_num(kpis.get("conversion_rate")))),
        _kpi("orders", charts.fmt_int(_num(kpis.get("orders")))),
        _kpi("revenue", charts.fmt_money(_num(kpis.get("revenue")))),
    ]
    return (
        '<div class="kpis">'
        + "".join(
            [
                _kpi("visitors", charts.fmt_int(_num(kpis.get("visitors")))),
                _kpi("sessions", charts.fmt_int(_num(kpis.get("sessions")))),
                _kpi("page views", charts.fmt_int(_num(kpis.get("page_views")))),
                _kpi("bounce rate", charts.fmt_pct(_num(kpis.get("bounce_rate")))),
                _kpi("avg session duration", charts.fmt_seconds(_num(kpis.get("avg_session_duration_s")))),
                *(commerce_kpis if commerce else []),
            ]
        )
        + "</div>"
    )


def traffic_section(rows: Rows) -> str:
    days = [_day(r["date_day"]) for r in rows]
    main = charts.line_chart(
        "traffic",
        days,
        [
            Series("visitors", [_num(r["visitors"]) for r in rows], charts.PALETTE[0]),
            Series("sessions", [_num(r["sessions"]) for r in rows], charts.PALETTE[1]),
            Series("page views", [_num(r["page_views"]) for r in rows], charts.PALETTE[2]),
        ],
        width=1240,
        height=300,
    )
    return _section(
        "Traffic over time",
        "daily visitors, sessions and page views (human traffic)",
        main,
        wide=True,
        key="traffic",
    )


def engagement_section(rows: Rows) -> str:
    days = [_day(r["date_day"]) for r in rows]
    bounce = charts.line_chart(
        "bounce_rate",
        days,
        [Series("bounce rate", [r["bounce_rate"] for r in rows], charts.PALETTE[3])],
        y_format=charts.fmt_pct,
        tip_format=charts.fmt_pct,
        width=340,
        height=200,
    )
    duration = charts.line_chart(
        "session_duration",
        days,
        [Series("avg session duration", [r["avg_session_duration_s"] for r in rows], charts.PALETTE[4])],
        y_format=charts.fmt_seconds,
        tip_format=charts.fmt_seconds,
        width=340,
        height=200,
    )
    body = f'<div class="pair"><div><h3>bounce rate</h3>{bounce}</div><div><h3>average session duration</h3>{duration}</div></div>'
    return _section(
        "Bounce rate and session duration",
        "bounce = a session with exactly one page event and no other interaction (docs/metrics.md)",
        body,
        key="engagement",
    )


def funnel_section(rows: Rows) -> str:
    row = rows[0] if rows else {}
    steps = [
        ("sessions", _num(row.get("sessions"))),
        ("product view", _num(row.get("product_view_sessions"))),
        ("add to cart", _num(row.get("cart_sessions"))),
        ("purchase", _num(row.get("purchase_sessions"))),
    ]
    return _section(
        "Funnel",
        "ordered: a step counts only after the previous one in the same session",
        charts.funnel_chart("funnel", steps),
        key="funnel",
    )


def retention_section(rows: Rows) -> str:
    cells = [
        (
            _day(r["cohort_week"]),
            int(r["week_number"]),
            _num(r["retention_rate"]),
            int(_num(r["active_visitors"])),
        )
        for r in rows
    ]
    sizes = {_day(r["cohort_week"]): int(_num(r["cohort_visitors"])) for r in rows}
    return _section(
        "Weekly retention",
        "share of each first-visit cohort active N weeks later",
        charts.retention_heatmap("retention", cells, sizes, width=1240),
        wide=True,
        key="retention",
    )


def _fmt_opt_seconds(value: object) -> str:
    return charts.fmt_seconds(float(value)) if isinstance(value, int | float) else "—"


def _fmt_int_obj(value: object) -> str:
    return charts.fmt_int(float(value)) if isinstance(value, int | float) else str(value)


def _fmt_money_obj(value: object) -> str:
    return charts.fmt_money(float(value)) if isinstance(value, int | float) else str(value)


def top_section(pages: Rows, products: Rows, hidden: str | None = None) -> str:
    pages_table = charts.table_chart(
        "top_pages",
        pages,
        [
            Column("page_path", "page"),
            Column("page_views", "views", _fmt_int_obj, True),
            Column("visitors", "visitors", _fmt_int_obj, True),
            Column("avg_time_on_page_s", "avg time", _fmt_opt_seconds, True),
        ],
        "page_views",
    )
    products_table = charts.table_chart(
        "top_products",
        products,
        [
            Column("product_id", "product"),
            Column("category", "category", lambda v: str(v or "—")),
            Column("view_count", "views", _fmt_int_obj, True),
            Column("cart_count", "carts", _fmt_int_obj, True),
            Column("purchase_count", "purchases", _fmt_int_obj, True),
            Column("revenue", "revenue", _fmt_money_obj, True),
        ],
        "view_count",
    )
    pages_section = _section("Top pages", "by page views", pages_table, key="top_pages")
    if hidden:
        return pages_section + _hidden_section("Top products", hidden, key="top_products")
    return pages_section + _section("Top products", "by product views", products_table, key="top_products")


def channels_section(channels: Rows, devices: Rows, *, commerce: bool = True) -> str:
    def conv(r: Mapping[str, Any]) -> str:
        sessions = _num(r["sessions"])
        return (
            f"conv {charts.fmt_pct(_num(r['converted_sessions']) / sessions)}"
            if sessions and commerce
            else ""
        )

    channel_bars = [Bar(str(r["channel"]), _num(r["sessions"]), conv(r)) for r in channels]
    device_bars = [Bar(str(r["device_type"]), _num(r["sessions"]), conv(r)) for r in devices]
    return _section(
        "Channels",
        "sessions by channel" + (", with conversion rate" if commerce else ""),
        charts.bar_chart("channels", channel_bars),
        key="channels",
    ) + _section(
        "Devices",
        "sessions by device type" + (", with conversion rate" if commerce else ""),
        charts.bar_chart("devices", device_bars, color=charts.PALETTE[5]),
        key="devices",
    )


def data_quality_section(daily: Rows, reasons: Rows) -> str:
    totals = reasons[0] if reasons else {}
    read = _num(totals.get("records_read"))
    quarantined = _num(totals.get("total"))
    valid = _num(totals.get("events_valid"))
    bots = _num(totals.get("bot_events"))
    reconciled = all(bool(r.get("all_runs_reconciled")) for r in daily) if daily else False
    kpis = (
        '<div class="kpis">'
        + "".join(
            [
                _kpi("records in the window", charts.fmt_int(read)),
                _kpi(
                    "quarantined",
                    f"{charts.fmt_int(quarantined)} ({charts.fmt_pct(quarantined / read if read else 0)})",
                ),
                _kpi("bot share of events", charts.fmt_pct(bots / valid if valid else 0)),
                _kpi("runs reconciled", "yes" if reconciled else "NO", "good" if reconciled else "bad"),
            ]
        )
        + "</div>"
    )
    reason_bars = sorted(
        (
            Bar(reason, _num(totals.get(reason)))
            for reason in QUARANTINE_REASONS
            if _num(totals.get(reason)) > 0
        ),
        key=lambda b: -b.value,
    )
    by_reason = (
        charts.bar_chart("quarantine_reasons", reason_bars, color=charts.PALETTE[3], width=600)
        if reason_bars
        else charts.empty("quarantine_reasons", "no record was quarantined in this period")
    )
    days = [_day(r["date_day"]) for r in daily]
    shares = charts.line_chart(
        "dq_daily",
        days,
        [
            Series("bot share", [r["bot_share"] for r in daily], charts.PALETTE[4]),
            Series("quarantine share", [r["quarantine_share"] for r in daily], charts.PALETTE[3]),
            Series("late share", [r["late_share"] for r in daily], charts.PALETTE[2]),
        ],
        y_format=charts.fmt_pct,
        tip_format=charts.fmt_pct,
        width=600,
        height=240,
    )
    body = (
        kpis
        + f'<div class="pair"><div><h3>quarantined records by reason</h3>{by_reason}</div>'
        + f"<div><h3>daily shares</h3>{shares}</div></div>"
    )
    return _section(
        "Data quality",
        "records dated inside the period: each is a valid event or a quarantined record (with a reason); "
        "records a run filtered (static assets, outside its window, look-back context) are not stored, "
        "so they appear only in the run summary and manifests",
        body,
        wide=True,
        key="data_quality",
    )


def render_page(data: Mapping[str, Rows], info: PageInfo) -> str:
    """The whole HTML document from the query results (pure)."""
    kpis = data["kpis"][0] if data.get("kpis") else {}
    first, last = kpis.get("first_day"), kpis.get("last_day")
    period = f"{_day(first)} to {_day(last)}" if first and last else "no data"
    hidden = commerce_missing(data)
    overview_note = f"human traffic, {period}" + (
        f"; conversion, orders and revenue not shown: {hidden}" if hidden else ""
    )
    sections: Sequence[str] = (
        _section("Overview", overview_note, kpi_block(kpis, commerce=not hidden), wide=True, key="overview"),
        traffic_section(data.get("traffic", [])),
        engagement_section(data.get("traffic", [])),
        _hidden_section("Funnel", hidden, key="funnel") if hidden else funnel_section(data.get("funnel", [])),
        retention_section(data.get("retention", [])),
        top_section(data.get("top_pages", []), data.get("top_products", []), hidden),
        channels_section(data.get("channels", []), data.get("devices", []), commerce=not hidden),
        data_quality_section(data.get("data_quality_daily", []), data.get("quarantine_reasons", [])),
    )
    generated = info.generated_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(info.title)}</title><style>{CSS}</style></head>"
        f'<body data-period="{escape(period)}">'
        f"<header><h1>{escape(info.title)}</h1><p>{escape(period)} · source: {escape(info.source)} · generated {generated}</p></header>"
        f"<main>{''.join(sections)}</main>"
        "<footer>CAEC — Clickstream Analytics Engine. Metric definitions: docs/metrics.md; "
        "how this file is built: docs/dashboard.md.</footer>"
        f'<div id="tip" hidden></div><script>{JS}</script></body></html>\n'
    )
