"""A small DuckDB warehouse with the documented marts (docs/warehouse.md), for tests without Spark/dbt.

Table definitions are parsed from docs/warehouse.md itself, so the fixture cannot drift from the
documented contract; the rows come from a seeded synthetic session set, and the aggregates are
computed from the facts with SQL, so they are mutually consistent like dbt's.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from caec_dashboard.queries import QUARANTINE_REASONS

REPO = Path(__file__).resolve().parents[3]
WAREHOUSE_DOC = REPO / "docs" / "warehouse.md"

_SECTION = re.compile(r"^### (\w+) — .*?\n(.*?)(?=\n### |\n## |\Z)", re.S | re.M)
_COLUMN = re.compile(r"`(\w+)`(?:\s+\([^)]*\))?\s+(varchar|bigint|double|boolean|date|timestamp)")


def documented_marts(doc: Path = WAREHOUSE_DOC) -> dict[str, list[tuple[str, str]]]:
    """{table: [(column, duckdb type), ...]} from the '### name — ...' sections of docs/warehouse.md."""
    text = doc.read_text(encoding="utf-8")
    marts: dict[str, list[tuple[str, str]]] = {}
    for name, body in _SECTION.findall(text):
        columns = _COLUMN.findall(body)
        if columns:
            marts[name] = columns
    return marts


def _bulk_insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[tuple[str, str]],
    rows: Sequence[Sequence[object]],
    tmp: Path,
) -> None:
    """Insert through a CSV file: DuckDB's executemany binds row by row and takes minutes for thousands."""
    csv_path = tmp / f"{table}.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow(["\\N" if v is None else v for v in row])
    spec = ", ".join(f"'{c}': '{t.upper()}'" for c, t in columns)
    con.execute(
        f"insert into marts.{table} select * from read_csv('{csv_path}', header = false, nullstr = '\\N', "
        f"columns = {{{spec}}})"
    )
    csv_path.unlink()


def build_marts(path: Path, days: int = 21, seed: int = 7, start: date = date(2026, 10, 5)) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    for table, columns in documented_marts().items():
        cols = ", ".join(f"{c} {t}" for c, t in columns)
        con.execute(f"create or replace table marts.{table} ({cols})")
    rng = random.Random(seed)
    channels = ["direct", "organic_search", "paid_search", "social", "email", "referral"]
    devices = ["desktop", "mobile", "tablet"]
    pages = ["/", "/search", "/cart", "/checkout", "/about"] + [f"/product/{i}" for i in range(1, 16)]
    sessions, views, orders = [], [], []
    visitors = [f"v{i:04d}" for i in range(300)]
    first_seen: dict[str, date] = {}
    for d in range(days):
        day = start + timedelta(days=d)
        for s in range(rng.randint(40, 80)):
            visitor = rng.choice(visitors[: 100 + d * 10])
            first_seen.setdefault(visitor, day)
            sid = f"s{d:02d}{s:03d}"
            bot = rng.random() < 0.05
            started = datetime(day.year, day.month, day.day, rng.randint(0, 23), rng.randint(0, 59))
            n_pages = 1 if rng.random() < 0.35 else rng.randint(2, 8)
            path_seq = [rng.choice(pages) for _ in range(n_pages)]
            viewed_product = any(p.startswith("/product/") for p in path_seq)
            cart = viewed_product and rng.random() < 0.4
            bought = cart and rng.random() < 0.5
            revenue = round(rng.uniform(10, 200), 2) if bought else 0.0
            duration = 0.0 if n_pages == 1 else float(rng.randint(20, 900))
            channel, device = rng.choice(channels), rng.choice(devices)
            sessions.append(
                (
                    sid,
                    visitor,
                    day,
                    started,
                    started + timedelta(seconds=duration),
                    duration,
                    n_pages + int(cart),
                    n_pages,
                    path_seq[0],
                    path_seq[-1],
                    None,
                    None,
                    None,
                    None,
                    channel,
                    "bot" if bot else device,
                    n_pages == 1 and not cart,
                    bought,
                    int(bought),
                    revenue,
                    viewed_product,
                    cart,
                    bought,
                    bot,
                    "ua:bot" if bot else None,
                )
            )
            for k, page in enumerate(path_seq):
                item = page.split("/")[-1] if page.startswith("/product/") else None
                views.append(
                    (
                        f"e{sid}{k}",
                        sid,
                        visitor,
                        day,
                        day,
                        started + timedelta(seconds=k * 30),
                        k + 1,
                        k + 1,
                        "product_view" if item else "page_view",
                        page,
                        f"https://shop.example{page}",
                        None,
                        item,
                        "shoes" if item else None,
                        "acme" if item else None,
                        9.99 if item else None,
                        None if k == n_pages - 1 else 30.0,
                        k == 0,
                        k == n_pages - 1,
                        channel,
                        device,
                        bot,
                    )
                )
            if bought:
                orders.append(
                    (
                        f"o{sid}",
                        sid,
                        visitor,
                        day,
                        day,
                        started + timedelta(seconds=duration),
                        1,
                        revenue,
                        True,
                        channel,
                        device,
                        bot,
                    )
                )
    marts = documented_marts()
    for table, rows in (("fct_sessions", sessions), ("fct_page_views", views), ("fct_orders", orders)):
        _bulk_insert(con, table, marts[table], rows, path.parent)
    con.execute("""
        insert into marts.agg_daily_traffic
        select session_date, count(distinct visitor_id), count(*), sum(page_view_count),
               sum(case when is_bounce then 1 else 0 end), avg(case when is_bounce then 1.0 else 0.0 end),
               avg(duration_s), avg(page_view_count), sum(case when is_converted then 1 else 0 end),
               avg(case when is_converted then 1.0 else 0.0 end), sum(order_count), sum(revenue)
        from marts.fct_sessions where not is_bot group by 1""")
    con.execute("""
        insert into marts.agg_funnel_daily
        select session_date, count(*), sum(reached_product_view::int), sum(reached_cart::int), sum(reached_purchase::int),
               sum(reached_cart::int) / nullif(sum(reached_product_view::int), 0),
               sum(reached_purchase::int) / nullif(sum(reached_cart::int), 0),
               sum(reached_purchase::int) / nullif(sum(reached_product_view::int), 0)
        from marts.fct_sessions where not is_bot group by 1""")
    con.execute("""
        insert into marts.agg_channels_daily
        select session_date, channel, '(none)', '(none)', device_type, count(distinct visitor_id), count(*),
               sum(page_view_count), sum(is_bounce::int), sum(is_converted::int), sum(order_count), sum(revenue),
               avg(is_bounce::int), avg(is_converted::int)
        from marts.fct_sessions where not is_bot group by 1, 2, 5""")
    con.execute("""
        insert into marts.dim_visitors
        select visitor_id, min(session_started_at), max(session_ended_at), min(session_date),
               date_trunc('week', min(session_date)), min(channel), min(device_type), count(*), sum(order_count),
               sum(revenue), bool_and(is_bot)
        from marts.fct_sessions group by 1""")
    con.execute("""
        insert into marts.dim_products
        select item_id, min(category), min(brand), max(price), min(viewed_at), max(viewed_at), count(*), 0, 0, 0.0
        from marts.fct_page_views where item_id is not null and not is_bot group by 1""")
    con.execute(
        "update marts.dim_products set cart_count = view_count // 3, purchase_count = view_count // 7, revenue = (view_count // 7) * 9.99"
    )
    con.execute("""
        insert into marts.agg_retention_weekly
        with activity as (
          select distinct v.visitor_id, v.cohort_week, date_trunc('week', s.session_date) as activity_week
          from marts.dim_visitors v join marts.fct_sessions s using (visitor_id) where not v.is_bot),
        sizes as (select cohort_week, count(distinct visitor_id) as n from activity group by 1)
        select a.cohort_week, datediff('week', a.cohort_week, a.activity_week), a.activity_week, s.n,
               count(distinct a.visitor_id), count(distinct a.visitor_id) / s.n
        from activity a join sizes s using (cohort_week) group by 1, 2, 3, 4""")
    reasons = list(QUARANTINE_REASONS)
    for d in range(days):
        day = start + timedelta(days=d)
        counts = [
            rng.randint(0, 6) if r in ("parse_error", "bad_timestamp", "missing_field") else 0
            for r in reasons
        ]
        valid = rng.randint(900, 1100)
        bots = rng.randint(40, 90)
        late = rng.randint(0, 10)
        q = sum(counts)
        con.execute(
            f"insert into marts.agg_data_quality_daily values ({','.join('?' * (12 + len(reasons)))})",
            [
                day,
                valid + q,
                valid,
                valid - bots,
                bots,
                late,
                q,
                *counts,
                q / (valid + q),
                bots / valid,
                late / valid,
                1,
                True,
            ],
        )
    con.close()
    return path


def content_site_marts(marts_db: Path, path: Path) -> Path:
    """A copy of the fixture with no commerce event: a content site's logs (page views only)."""
    path.write_bytes(marts_db.read_bytes())
    con = duckdb.connect(str(path))
    con.execute(
        "update marts.agg_funnel_daily set product_view_sessions = 0, cart_sessions = 0, purchase_sessions = 0;"
        "update marts.fct_sessions set order_count = 0, revenue = 0, is_converted = false;"
        "delete from marts.fct_orders; delete from marts.dim_products;"
    )
    con.close()
    return path
