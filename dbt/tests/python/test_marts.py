"""Exact mart values on the fixture (worked out by hand from the event list in fixture.py)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[3]
D1, D2, D3 = "2024-06-01", "2024-06-02", "2024-06-03"


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    """Query the built warehouse read-only; dates and timestamps come back as ISO strings."""
    with duckdb.connect(str(db), read_only=True) as con:
        return [
            tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in r) for r in con.sql(sql).fetchall()
        ]


def contract_reasons() -> list[str]:
    """The quarantine reason codes listed in docs/data-contract.md (the `reason` row), in order."""
    text = (REPO / "docs" / "data-contract.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| reason |"))
    codes = re.findall(r"`(\w+)`", row.split("|")[3])
    assert len(codes) >= 10, row
    return codes


def test_daily_traffic(full_build: Path) -> None:
    got = rows(
        full_build,
        """
        select date_day, visitors, sessions, page_views, bounced_sessions, round(bounce_rate, 4),
               avg_session_duration_s, round(pages_per_session, 4), converted_sessions,
               round(conversion_rate, 4), orders, revenue
        from marts.agg_daily_traffic order by date_day""",
    )
    assert got == [
        # s1 s2 s4 (s3 is a bot): durations 300 + 0 + 900 s; s4 crosses midnight and stays on day 1
        (D1, 3, 3, 4, 1, 0.3333, 400.0, 1.3333, 2, 0.6667, 2, 70.0),
        (D2, 2, 2, 3, 0, 0.0, 75.0, 1.5, 1, 0.5, 1, 30.0),
        (D3, 2, 2, 2, 1, 0.5, 300.0, 1.0, 1, 0.5, 1, 20.0),
    ]


def test_funnel_is_ordered(full_build: Path) -> None:
    got = rows(
        full_build,
        """
        select date_day, sessions, product_view_sessions, cart_sessions, purchase_sessions,
               view_to_cart_rate, cart_to_purchase_rate, view_to_purchase_rate
        from marts.agg_funnel_daily order by date_day""",
    )
    # s4 carts and buys without a product view: converted, but not in the funnel; s5 has no cart step.
    assert got == [
        (D1, 3, 1, 1, 1, 1.0, 1.0, 1.0),
        (D2, 2, 1, 0, 0, 0.0, None, 0.0),
        (D3, 2, 1, 1, 1, 1.0, 1.0, 1.0),
    ]


def test_retention_cohorts(full_build: Path) -> None:
    got = rows(
        full_build,
        """
        select cohort_week, week_number, activity_week, cohort_visitors, active_visitors, round(retention_rate, 4)
        from marts.agg_retention_weekly order by all""",
    )
    assert got == [
        ("2024-05-27", 0, "2024-05-27", 3, 3, 1.0),
        ("2024-05-27", 1, "2024-06-03", 3, 1, 0.3333),
        ("2024-06-03", 0, "2024-06-03", 1, 1, 1.0),
    ]


def test_channels_break_down_the_daily_totals(full_build: Path) -> None:
    got = rows(
        full_build,
        """
        select date_day, channel, source, medium, device_type, sessions, page_views, orders, revenue
        from marts.agg_channels_daily order by all""",
    )
    assert got == [
        (D1, "direct", "(none)", "(none)", "mobile", 1, 1, 0, 0.0),
        (D1, "email", "newsletter", "email", "desktop", 1, 1, 1, 20.0),
        (D1, "organic_search", "(none)", "(none)", "desktop", 1, 2, 1, 50.0),
        (D2, "direct", "(none)", "(none)", "mobile", 1, 1, 1, 30.0),
        (D2, "referral", "(none)", "(none)", "mobile", 1, 2, 0, 0.0),
        (D3, "direct", "(none)", "(none)", "desktop", 1, 1, 0, 0.0),
        (D3, "paid_search", "google", "cpc", "tablet", 1, 1, 1, 20.0),
    ]


def test_data_quality(full_build: Path) -> None:
    got = rows(
        full_build,
        """
        select date_day, records_read, events_valid, human_events, bot_events, late_events, records_quarantined,
               round(quarantine_share, 4), round(bot_share, 4), round(late_share, 4), runs, all_runs_reconciled
        from marts.agg_data_quality_daily order by date_day""",
    )
    # the duplicated event e1 is counted once; s4's purchase is a day-2 event
    assert got == [
        (D1, 12, 9, 7, 2, 0, 3, 0.25, 0.2222, 0.0, 1, True),
        (D2, 7, 5, 5, 0, 1, 2, 0.2857, 0.0, 0.2, 1, True),
        (D3, 9, 5, 5, 0, 0, 4, 0.4444, 0.0, 0.0, 1, True),
    ]


def test_quarantine_reasons_have_their_own_columns(full_build: Path) -> None:
    """Every reason code of docs/data-contract.md is a column; an unlisted code counts as `other`."""
    reasons = [*contract_reasons(), "other"]
    got = rows(
        full_build,
        f"""
        select date_day, {", ".join(f"quarantined_{r}" for r in reasons)}
        from marts.agg_data_quality_daily order by date_day""",
    )
    nonzero = [(day, {r: n for r, n in zip(reasons, counts, strict=True) if n}) for day, *counts in got]
    assert nonzero == [
        (D1, {"parse_error": 2, "bad_timestamp": 1}),
        (D2, {"bad_value": 1, "empty_file": 1}),
        (D3, {"unknown_event_type": 1, "wrong_columns": 1, "bad_header": 1, "other": 1}),
    ]
    columns = [
        name
        for (name,) in rows(
            full_build,
            """
            select column_name from information_schema.columns
            where table_schema = 'marts' and table_name = 'agg_data_quality_daily'
              and column_name like 'quarantined%' order by ordinal_position""",
        )
    ]
    assert columns == [f"quarantined_{r}" for r in reasons]


def test_facts_keep_bots_flagged(full_build: Path) -> None:
    assert rows(full_build, "select count(*), count(*) filter (where is_bot) from marts.fct_sessions") == [
        (8, 1)
    ]
    assert rows(full_build, "select visitor_id, is_bot from marts.dim_visitors where is_bot") == [
        ("v4", True)
    ]


def test_page_views_time_on_page(full_build: Path) -> None:
    got = rows(
        full_build,
        """
        select page_view_id, session_date, page_number, time_on_page_s, is_entry, is_exit
        from marts.fct_page_views where session_id in ('s1', 's4', 's6') order by session_id, page_number""",
    )
    assert got == [
        ("e1", D1, 1, 60.0, True, False),
        ("e2", D1, 2, 120.0, False, True),
        ("e8", D1, 1, 300.0, True, True),
        ("e13", D2, 1, 30.0, True, False),
        ("e14", D2, 2, None, False, True),
    ]


def test_orders(full_build: Path) -> None:
    got = rows(
        full_build,
        """
        select order_id, session_id, session_date, order_date, item_count, revenue, is_after_view
        from marts.fct_orders order by order_id""",
    )
    assert got == [
        ("t1", "s1", D1, D1, 1, 50.0, True),
        ("t2", "s4", D1, D2, 1, 20.0, False),
        ("t3", "s5", D2, D2, 1, 30.0, True),
        ("t4", "s8", D3, D3, 1, 20.0, True),
    ]


def test_dimensions(full_build: Path) -> None:
    assert rows(
        full_build,
        """
        select visitor_id, first_session_date, cohort_week, first_channel, session_count, order_count, revenue
        from marts.dim_visitors where not is_bot order by visitor_id""",
    ) == [
        ("v1", D1, "2024-05-27", "organic_search", 3, 2, 80.0),
        ("v2", D1, "2024-05-27", "direct", 2, 0, 0.0),
        ("v3", D1, "2024-05-27", "email", 1, 1, 20.0),
        ("v5", D3, "2024-06-03", "paid_search", 1, 1, 20.0),
    ]
    assert rows(
        full_build,
        """
        select product_id, category, brand, view_count, cart_count, purchase_count, revenue
        from marts.dim_products order by product_id""",
    ) == [
        ("p1", "shoes", "acme", 2, 1, 2, 80.0),
        ("p2", "hats", "hatco", 1, 2, 2, 40.0),
    ]


def test_contract_types_are_enforced(full_build: Path) -> None:
    """Marts carry the declared contract types (e.g. BIGINT counts, not DuckDB's HUGEINT sums)."""
    types: dict[object, object] = {
        name: kind
        for name, kind in rows(
            full_build,
            """
        select column_name, data_type from information_schema.columns
        where table_schema = 'marts' and table_name = 'agg_daily_traffic'""",
        )
    }
    assert types == {
        "date_day": "DATE",
        "visitors": "BIGINT",
        "sessions": "BIGINT",
        "page_views": "BIGINT",
        "bounced_sessions": "BIGINT",
        "bounce_rate": "DOUBLE",
        "avg_session_duration_s": "DOUBLE",
        "pages_per_session": "DOUBLE",
        "converted_sessions": "BIGINT",
        "conversion_rate": "DOUBLE",
        "orders": "BIGINT",
        "revenue": "DOUBLE",
    }
