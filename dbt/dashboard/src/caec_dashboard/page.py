"""Assemble the dashboard: query results -> charts -> one self-contained HTML page.

Everything the page needs is inline (CSS, SVG, a few lines of JS for tooltips): the file opens offline,
can be mailed or attached to a ticket, and makes no network request (the browser test checks that).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup

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

# templates/page.html.j2 (with page.css and page.js inlined), package data: autoescaping on, so every
# text from the marts is escaped there; chart markup arrives as Markup (charts.py escapes its text).
TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("caec_dashboard", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class PageInfo:
    title: str
    source: str
    generated_at: dt.datetime


def _num(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    css: str = ""


@dataclass(frozen=True)
class Section:
    """One panel: its KPIs, chart and/or pair of charts in that order (the template draws it).
    `hidden` says why the data cannot fill the panel: it is then shown without a chart of zeros."""

    key: str
    title: str
    note: str = ""
    kpis: Sequence[Kpi] = ()
    chart: Markup | None = None
    pair: Sequence[tuple[str, Markup]] = ()
    wide: bool = False
    hidden: str | None = None


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


def kpi_block(kpis: Mapping[str, Any], *, commerce: bool = True) -> list[Kpi]:
    commerce_kpis = [
        Kpi("conversion rate", charts.fmt_pct(_num(kpis.get("conversion_rate")))),
        Kpi("orders", charts.fmt_int(_num(kpis.get("orders")))),
        Kpi("revenue", charts.fmt_money(_num(kpis.get("revenue")))),
    ]
    return [
        Kpi("visitors", charts.fmt_int(_num(kpis.get("visitors")))),
        Kpi("sessions", charts.fmt_int(_num(kpis.get("sessions")))),
        Kpi("page views", charts.fmt_int(_num(kpis.get("page_views")))),
        Kpi("bounce rate", charts.fmt_pct(_num(kpis.get("bounce_rate")))),
        Kpi("avg session duration", charts.fmt_seconds(_num(kpis.get("avg_session_duration_s")))),
        *(commerce_kpis if commerce else []),
    ]


def traffic_section(rows: Rows) -> Section:
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
    return Section(
        "traffic",
        "Traffic over time",
        "daily visitors, sessions and page views (human traffic)",
        chart=Markup(main),
        wide=True,
    )


# The two small daily charts of the engagement panel: (chart id, heading, series, column, format, colour).
ENGAGEMENT_CHARTS = (
    ("bounce_rate", "bounce rate", "bounce rate", "bounce_rate", charts.fmt_pct, 3),
    (
        "session_duration",
        "average session duration",
        "avg session duration",
        "avg_session_duration_s",
        charts.fmt_seconds,
        4,
    ),
)


def engagement_section(rows: Rows) -> Section:
    days = [_day(r["date_day"]) for r in rows]
    pair = [
        (
            heading,
            Markup(
                charts.line_chart(
                    chart,
                    days,
                    [Series(series, [r[column] for r in rows], charts.PALETTE[color])],
                    y_format=fmt,
                    tip_format=fmt,
                    width=340,
                    height=200,
                )
            ),
        )
        for chart, heading, series, column, fmt, color in ENGAGEMENT_CHARTS
    ]
    return Section(
        "engagement",
        "Bounce rate and session duration",
        "bounce = a session with exactly one page event and no other interaction (docs/metrics.md)",
        pair=pair,
    )


def funnel_section(rows: Rows) -> Section:
    row = rows[0] if rows else {}
    steps = [
        ("sessions", _num(row.get("sessions"))),
        ("product view", _num(row.get("product_view_sessions"))),
        ("add to cart", _num(row.get("cart_sessions"))),
        ("purchase", _num(row.get("purchase_sessions"))),
    ]
    return Section(
        "funnel",
        "Funnel",
        "ordered: a step counts only after the previous one in the same session",
        chart=Markup(charts.funnel_chart("funnel", steps)),
    )


def retention_section(rows: Rows) -> Section:
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
    return Section(
        "retention",
        "Weekly retention",
        "share of each first-visit cohort active N weeks later",
        chart=Markup(charts.retention_heatmap("retention", cells, sizes, width=1240)),
        wide=True,
    )


def _fmt_opt_seconds(value: object) -> str:
    return charts.fmt_seconds(float(value)) if isinstance(value, int | float) else "—"


def _fmt_int_obj(value: object) -> str:
    return charts.fmt_int(float(value)) if isinstance(value, int | float) else str(value)


def _fmt_money_obj(value: object) -> str:
    return charts.fmt_money(float(value)) if isinstance(value, int | float) else str(value)


def top_section(pages: Rows, products: Rows, hidden: str | None = None) -> list[Section]:
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
    pages_section = Section("top_pages", "Top pages", "by page views", chart=Markup(pages_table))
    if hidden:
        return [pages_section, Section("top_products", "Top products", hidden=hidden)]
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
    return [
        pages_section,
        Section("top_products", "Top products", "by product views", chart=Markup(products_table)),
    ]


def channels_section(channels: Rows, devices: Rows, *, commerce: bool = True) -> list[Section]:
    def conv(r: Mapping[str, Any]) -> str:
        sessions = _num(r["sessions"])
        return (
            f"conv {charts.fmt_pct(_num(r['converted_sessions']) / sessions)}"
            if sessions and commerce
            else ""
        )

    channel_bars = [Bar(str(r["channel"]), _num(r["sessions"]), conv(r)) for r in channels]
    device_bars = [Bar(str(r["device_type"]), _num(r["sessions"]), conv(r)) for r in devices]
    with_conversion = ", with conversion rate" if commerce else ""
    return [
        Section(
            "channels",
            "Channels",
            "sessions by channel" + with_conversion,
            chart=Markup(charts.bar_chart("channels", channel_bars)),
        ),
        Section(
            "devices",
            "Devices",
            "sessions by device type" + with_conversion,
            chart=Markup(charts.bar_chart("devices", device_bars, color=charts.PALETTE[5])),
        ),
    ]


def data_quality_section(daily: Rows, reasons: Rows) -> Section:
    totals = reasons[0] if reasons else {}
    read = _num(totals.get("records_read"))
    quarantined = _num(totals.get("total"))
    valid = _num(totals.get("events_valid"))
    bots = _num(totals.get("bot_events"))
    reconciled = all(bool(r.get("all_runs_reconciled")) for r in daily) if daily else False
    kpis = [
        Kpi("records in the window", charts.fmt_int(read)),
        Kpi(
            "quarantined",
            f"{charts.fmt_int(quarantined)} ({charts.fmt_pct(quarantined / read if read else 0)})",
        ),
        Kpi("bot share of events", charts.fmt_pct(bots / valid if valid else 0)),
        Kpi("runs reconciled", "yes" if reconciled else "NO", "good" if reconciled else "bad"),
    ]
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
    return Section(
        "data_quality",
        "Data quality",
        "records dated inside the period: each is a valid event or a quarantined record (with a reason); "
        "records a run filtered (static assets, outside its window, look-back context) are not stored, "
        "so they appear only in the run summary and manifests",
        kpis=kpis,
        pair=[("quarantined records by reason", Markup(by_reason)), ("daily shares", Markup(shares))],
        wide=True,
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
    sections: Sequence[Section] = (
        Section("overview", "Overview", overview_note, kpis=kpi_block(kpis, commerce=not hidden), wide=True),
        traffic_section(data.get("traffic", [])),
        engagement_section(data.get("traffic", [])),
        Section("funnel", "Funnel", hidden=hidden) if hidden else funnel_section(data.get("funnel", [])),
        retention_section(data.get("retention", [])),
        *top_section(data.get("top_pages", []), data.get("top_products", []), hidden),
        *channels_section(data.get("channels", []), data.get("devices", []), commerce=not hidden),
        data_quality_section(data.get("data_quality_daily", []), data.get("quarantine_reasons", [])),
    )
    return (
        TEMPLATES.get_template("page.html.j2").render(
            title=info.title,
            source=info.source,
            period=period,
            generated=info.generated_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            sections=sections,
        )
        + "\n"
    )
