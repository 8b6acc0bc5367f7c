"""The dashboard's queries: portable SQL over the marts (docs/warehouse.md), one text for both engines.

Only ANSI constructs DuckDB and BigQuery share (CASE, COUNT DISTINCT, SUM/AVG, GROUP BY, ORDER BY,
LIMIT, boolean columns); tables are referenced through ``{t:name}`` placeholders that each backend
expands (``marts.fct_sessions`` on DuckDB, ```project.dataset.fct_sessions``` on BigQuery). Dates come
back as ``date`` objects from both clients and are formatted in Python, never in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MART_TABLES = (
    "fct_sessions",
    "fct_page_views",
    "fct_orders",
    "dim_visitors",
    "dim_products",
    "agg_daily_traffic",
    "agg_funnel_daily",
    "agg_channels_daily",
    "agg_retention_weekly",
    "agg_data_quality_daily",
)

# The reason codes of docs/data-contract.md (agg_data_quality_daily has a column for each) plus `other`.
QUARANTINE_REASONS = (
    "parse_error",
    "missing_field",
    "bad_timestamp",
    "future_timestamp",
    "bad_value",
    "bad_encoding",
    "line_too_long",
    "unknown_event_type",
    "wrong_columns",
    "bad_header",
    "empty_file",
    "corrupt_file",
    "other",
)


@dataclass(frozen=True)
class Query:
    """A named dashboard query; ``sql`` uses ``{t:table}`` placeholders for mart tables."""

    name: str
    sql: str
    purpose: str


QUERIES: tuple[Query, ...] = (
    Query(
        "kpis",
        """
        select
          count(distinct visitor_id) as visitors,
          count(*) as sessions,
          sum(page_view_count) as page_views,
          avg(case when is_bounce then 1.0 else 0.0 end) as bounce_rate,
          avg(duration_s) as avg_session_duration_s,
          avg(case when is_converted then 1.0 else 0.0 end) as conversion_rate,
          sum(order_count) as orders,
          sum(revenue) as revenue,
          min(session_date) as first_day,
          max(session_date) as last_day
        from {t:fct_sessions}
        where not is_bot
        """,
        "headline numbers over the whole period (human sessions; visitors counted once)",
    ),
    Query(
        "traffic",
        """
        select date_day, visitors, sessions, page_views, bounce_rate, avg_session_duration_s,
               pages_per_session, conversion_rate, orders, revenue
        from {t:agg_daily_traffic}
        order by date_day
        """,
        "traffic over time, bounce rate and session duration per day",
    ),
    Query(
        "funnel",
        """
        select sum(sessions) as sessions,
               sum(product_view_sessions) as product_view_sessions,
               sum(cart_sessions) as cart_sessions,
               sum(purchase_sessions) as purchase_sessions
        from {t:agg_funnel_daily}
        """,
        "ordered funnel session -> product view -> cart -> purchase over the period",
    ),
    Query(
        "retention",
        """
        select cohort_week, week_number, cohort_visitors, active_visitors, retention_rate
        from {t:agg_retention_weekly}
        order by cohort_week, week_number
        """,
        "weekly retention cohorts",
    ),
    Query(
        "top_pages",
        """
        select page_path,
               count(*) as page_views,
               count(distinct visitor_id) as visitors,
               avg(time_on_page_s) as avg_time_on_page_s,
               sum(case when is_entry then 1 else 0 end) as entries
        from {t:fct_page_views}
        -- the partition filter satisfies BigQuery's require_partition_filter on fct_page_views
        where session_date >= date '1970-01-01' and not is_bot and page_path is not null
        group by page_path
        order by page_views desc, page_path
        limit 10
        """,
        "most viewed pages (human traffic)",
    ),
    Query(
        "top_products",
        """
        select product_id, category, brand, view_count, cart_count, purchase_count, revenue
        from {t:dim_products}
        order by view_count desc, purchase_count desc, product_id
        limit 10
        """,
        "most viewed products with cart and purchase counts",
    ),
    Query(
        "channels",
        """
        select channel, sum(sessions) as sessions, sum(page_views) as page_views,
               sum(bounced_sessions) as bounced_sessions, sum(converted_sessions) as converted_sessions,
               sum(revenue) as revenue
        from {t:agg_channels_daily}
        group by channel
        order by sessions desc, channel
        """,
        "sessions and conversions by acquisition channel",
    ),
    Query(
        "devices",
        """
        select device_type, sum(sessions) as sessions, sum(bounced_sessions) as bounced_sessions,
               sum(converted_sessions) as converted_sessions
        from {t:agg_channels_daily}
        group by device_type
        order by sessions desc, device_type
        """,
        "sessions by device type",
    ),
    Query(
        "data_quality_daily",
        """
        select date_day, records_read, events_valid, bot_events, late_events, records_quarantined,
               quarantine_share, bot_share, late_share, all_runs_reconciled
        from {t:agg_data_quality_daily}
        order by date_day
        """,
        "records read / quarantined / bot share per day",
    ),
    Query(
        "quarantine_reasons",
        "select "
        + ", ".join(f"sum(quarantined_{r}) as {r}" for r in QUARANTINE_REASONS)
        + ", sum(records_quarantined) as total, sum(records_read) as records_read"
        + ", sum(events_valid) as events_valid, sum(bot_events) as bot_events"
        + " from {t:agg_data_quality_daily}",
        "quarantined records by reason over the period",
    ),
)

_PLACEHOLDER = re.compile(r"\{t:([a-z_]+)\}")


def render(sql: str, table_ref: Callable[[str], str]) -> str:
    """Expand ``{t:name}`` placeholders with the backend's table reference (unknown names are errors)."""

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in MART_TABLES:
            raise KeyError(f"query refers to {name!r}, which is not a documented mart (docs/warehouse.md)")
        return table_ref(name)

    return _PLACEHOLDER.sub(expand, sql)


def tables_used(sql: str) -> set[str]:
    return set(_PLACEHOLDER.findall(sql))
