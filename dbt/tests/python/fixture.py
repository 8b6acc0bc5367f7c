"""Deterministic staging fixture: contract-shaped Parquet + manifest JSON with hand-checked answers.

Why: the dbt models must be tested before (and independently of) the Spark job, and a tiny dataset whose
mart values are worked out by hand (see EXPECTED_* in test_marts.py) lets the tests assert exact numbers.
The layout is exactly docs/data-contract.md: hive partitions with one version folder each
`events/event_date=YYYY-MM-DD/v=<run_id>/*.parquet`, `sessions/session_date=...`, `quarantine/ingest_date=...`,
`manifests/run_id=<id>.json`, UTC timestamps, and the publish pointer `_current.jsonl` naming them.

Sessions (human unless noted; day = UTC date the session started):
  2024-06-01  s1 v1 organic/desktop  page_view, product_view p1, add_to_cart p1, purchase t1 50.0 (full funnel)
              s2 v2 direct/mobile    one page_view (bounce)
              s3 v4 BOT              two page_views
              s4 v3 email/desktop    page_view 23:50, add_to_cart 23:55, purchase t2 20.0 at 00:05 next day
                                     (crosses midnight; cart without a product view: not in the funnel)
  2024-06-02  s5 v1 direct/mobile    product_view p1, purchase t3 30.0 (no cart step)
              s6 v2 referral/mobile  two page_views, the second one arrived late
  2024-06-03  s7 v1 direct/desktop   one page_view (bounce; v1 returns in ISO week 1)
              s8 v5 paid/tablet      product_view p2, add_to_cart, remove_from_cart, purchase t4 20.0
Plus one duplicated event row (a re-run wrote e1 twice) and nine quarantined records (QUARANTINE).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

RUN_ID = "fixture-run-1"
RULES_VERSION = "fixture-1"
DAYS = ("2024-06-01", "2024-06-02", "2024-06-03")


@dataclass(frozen=True)
class Ev:
    """One fixture event; session-level attributes are derived from the session's events."""

    session_id: str
    visitor_id: str
    ts: str
    event_type: str
    page_path: str | None = None
    item_id: str | None = None
    transaction_id: str | None = None
    revenue: float = 0.0
    is_late: bool = False


SESSION_ATTRS: dict[str, dict[str, str | None]] = {
    # session -> first-event attributes (referrer, utm, channel, device, bot reason)
    "s1": {
        "referrer": "https://www.google.com/",
        "utm_source": None,
        "utm_medium": None,
        "channel": "organic_search",
        "device_type": "desktop",
        "bot_reason": None,
    },
    "s2": {
        "referrer": None,
        "utm_source": None,
        "utm_medium": None,
        "channel": "direct",
        "device_type": "mobile",
        "bot_reason": None,
    },
    "s3": {
        "referrer": None,
        "utm_source": None,
        "utm_medium": None,
        "channel": "direct",
        "device_type": "bot",
        "bot_reason": "ua:bot",
    },
    "s4": {
        "referrer": None,
        "utm_source": "newsletter",
        "utm_medium": "email",
        "channel": "email",
        "device_type": "desktop",
        "bot_reason": None,
    },
    "s5": {
        "referrer": None,
        "utm_source": None,
        "utm_medium": None,
        "channel": "direct",
        "device_type": "mobile",
        "bot_reason": None,
    },
    "s6": {
        "referrer": "https://blog.example.org/post",
        "utm_source": None,
        "utm_medium": None,
        "channel": "referral",
        "device_type": "mobile",
        "bot_reason": None,
    },
    "s7": {
        "referrer": None,
        "utm_source": None,
        "utm_medium": None,
        "channel": "direct",
        "device_type": "desktop",
        "bot_reason": None,
    },
    "s8": {
        "referrer": "https://www.google.com/",
        "utm_source": "google",
        "utm_medium": "cpc",
        "channel": "paid_search",
        "device_type": "tablet",
        "bot_reason": None,
    },
}

EVENTS: tuple[Ev, ...] = (
    Ev("s1", "v1", "2024-06-01T10:00:00", "page_view", "/home"),
    Ev("s1", "v1", "2024-06-01T10:01:00", "product_view", "/p/p1", item_id="p1"),
    Ev("s1", "v1", "2024-06-01T10:03:00", "add_to_cart", "/cart", item_id="p1"),
    Ev(
        "s1",
        "v1",
        "2024-06-01T10:05:00",
        "purchase",
        "/checkout",
        item_id="p1",
        transaction_id="t1",
        revenue=50.0,
    ),
    Ev("s2", "v2", "2024-06-01T11:00:00", "page_view", "/home"),
    Ev("s3", "v4", "2024-06-01T12:00:00", "page_view", "/robots"),
    Ev("s3", "v4", "2024-06-01T12:00:01", "page_view", "/sitemap"),
    Ev("s4", "v3", "2024-06-01T23:50:00", "page_view", "/a"),
    Ev("s4", "v3", "2024-06-01T23:55:00", "add_to_cart", "/cart", item_id="p2"),
    Ev(
        "s4",
        "v3",
        "2024-06-02T00:05:00",
        "purchase",
        "/checkout",
        item_id="p2",
        transaction_id="t2",
        revenue=20.0,
    ),
    Ev("s5", "v1", "2024-06-02T09:00:00", "product_view", "/p/p1", item_id="p1"),
    Ev(
        "s5",
        "v1",
        "2024-06-02T09:02:00",
        "purchase",
        "/checkout",
        item_id="p1",
        transaction_id="t3",
        revenue=30.0,
    ),
    Ev("s6", "v2", "2024-06-02T10:00:00", "page_view", "/x"),
    Ev("s6", "v2", "2024-06-02T10:00:30", "page_view", "/y", is_late=True),
    Ev("s7", "v1", "2024-06-03T08:00:00", "page_view", "/home"),
    Ev("s8", "v5", "2024-06-03T08:30:00", "product_view", "/p/p2", item_id="p2"),
    Ev("s8", "v5", "2024-06-03T08:31:00", "add_to_cart", "/cart", item_id="p2"),
    Ev("s8", "v5", "2024-06-03T08:32:00", "remove_from_cart", "/cart", item_id="p2"),
    Ev(
        "s8",
        "v5",
        "2024-06-03T08:40:00",
        "purchase",
        "/checkout",
        item_id="p2",
        transaction_id="t4",
        revenue=20.0,
    ),
)

PRODUCTS = {"p1": ("shoes", "acme", 50.0), "p2": ("hats", "hatco", 20.0)}

QUARANTINE = (  # (ingest_date, reason); "reason_added_later" stands for a code the mart does not list yet
    ("2024-06-01", "parse_error"),
    ("2024-06-01", "parse_error"),
    ("2024-06-01", "bad_timestamp"),
    ("2024-06-02", "bad_value"),
    ("2024-06-02", "empty_file"),
    ("2024-06-03", "unknown_event_type"),
    ("2024-06-03", "wrong_columns"),
    ("2024-06-03", "bad_header"),
    ("2024-06-03", "reason_added_later"),
)

PAGE_TYPES = {"page_view", "product_view"}


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event_rows() -> list[dict[str, object]]:
    """Contract rows for EVENTS (plus the duplicate of the first event, as a re-run would leave it)."""
    rows: list[dict[str, object]] = []
    seq: dict[str, int] = {}
    for n, ev in enumerate(EVENTS, start=1):
        seq[ev.session_id] = seq.get(ev.session_id, 0) + 1
        attrs = SESSION_ATTRS[ev.session_id]
        category, brand, price = PRODUCTS.get(ev.item_id or "", (None, None, None))
        ts = _ts(ev.ts)
        rows.append(
            {
                "event_id": f"e{n}",
                "event_ts": ts,
                "event_date": ts.date(),
                "visitor_id": ev.visitor_id,
                "session_id": ev.session_id,
                "seq_in_session": seq[ev.session_id],
                "event_type": ev.event_type,
                "page_url": f"https://shop.example.com{ev.page_path}" if ev.page_path else None,
                "page_path": ev.page_path,
                "referrer": attrs["referrer"] if seq[ev.session_id] == 1 else None,
                "utm_source": attrs["utm_source"],
                "utm_medium": attrs["utm_medium"],
                "utm_campaign": None,
                "item_id": ev.item_id,
                "category": category,
                "brand": brand,
                "price": price,
                "transaction_id": ev.transaction_id,
                "revenue": ev.revenue,
                "user_agent": "fixture-agent",
                "device_type": attrs["device_type"],
                "http_status": None,
                "is_bot": attrs["bot_reason"] is not None,
                "bot_reason": attrs["bot_reason"],
                "is_late": ev.is_late,
                "source_format": "jsonl",
                "source_file": f"raw/{ts.date()}.jsonl",
                "source_line": n,
                "rules_version": RULES_VERSION,
                "run_id": RUN_ID,
            }
        )
    duplicate = dict(rows[0], run_id="fixture-run-0")
    rows.append(duplicate)
    return rows


def session_rows() -> list[dict[str, object]]:
    """Session rows derived from EVENTS with the contract's rules (bounce, page views, revenue)."""
    by_session: dict[str, list[Ev]] = {}
    for ev in EVENTS:
        by_session.setdefault(ev.session_id, []).append(ev)
    visits: dict[str, int] = {}
    rows: list[dict[str, object]] = []
    for sid, evs in by_session.items():
        start, end = _ts(evs[0].ts), _ts(evs[-1].ts)
        visitor = evs[0].visitor_id
        visits[visitor] = visits.get(visitor, 0) + 1
        pages = [e for e in evs if e.event_type in PAGE_TYPES]
        orders = {e.transaction_id for e in evs if e.event_type == "purchase"}
        attrs = SESSION_ATTRS[sid]
        rows.append(
            {
                "session_id": sid,
                "visitor_id": visitor,
                "session_index": visits[visitor],
                "session_start": start,
                "session_end": end,
                "session_date": start.date(),
                "duration_s": (end - start).total_seconds(),
                "event_count": len(evs),
                "page_view_count": len(pages),
                "entry_page": pages[0].page_path if pages else None,
                "exit_page": pages[-1].page_path if pages else None,
                "landing_referrer": attrs["referrer"],
                "utm_source": attrs["utm_source"],
                "utm_medium": attrs["utm_medium"],
                "utm_campaign": None,
                "channel": attrs["channel"],
                "device_type": attrs["device_type"],
                "is_bounce": len(pages) == 1 and len(evs) == 1,
                "is_converted": bool(orders),
                "order_count": len(orders),
                "revenue": sum(e.revenue for e in evs),
                "is_bot": attrs["bot_reason"] is not None,
                "bot_reason": attrs["bot_reason"],
                "rules_version": RULES_VERSION,
                "run_id": RUN_ID,
            }
        )
    return rows


def quarantine_rows() -> list[dict[str, object]]:
    """Rejected records, one per QUARANTINE entry."""
    return [
        {
            "reason": reason,
            "detail": f"fixture {reason}",
            "raw": "{not json",
            "raw_truncated": False,
            "source_format": "jsonl",
            "source_file": f"raw/{day}.jsonl",
            "source_line": 1000 + n,
            "ingest_date": date.fromisoformat(day),
            "run_id": RUN_ID,
        }
        for n, (day, reason) in enumerate(QUARANTINE)
    ]


EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("event_ts", pa.timestamp("us", tz="UTC")),
        ("event_date", pa.date32()),
        ("visitor_id", pa.string()),
        ("session_id", pa.string()),
        ("seq_in_session", pa.int32()),
        ("event_type", pa.string()),
        ("page_url", pa.string()),
        ("page_path", pa.string()),
        ("referrer", pa.string()),
        ("utm_source", pa.string()),
        ("utm_medium", pa.string()),
        ("utm_campaign", pa.string()),
        ("item_id", pa.string()),
        ("category", pa.string()),
        ("brand", pa.string()),
        ("price", pa.float64()),
        ("transaction_id", pa.string()),
        ("revenue", pa.float64()),
        ("user_agent", pa.string()),
        ("device_type", pa.string()),
        ("http_status", pa.int32()),
        ("is_bot", pa.bool_()),
        ("bot_reason", pa.string()),
        ("is_late", pa.bool_()),
        ("source_format", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("rules_version", pa.string()),
        ("run_id", pa.string()),
    ]
)
SESSION_SCHEMA = pa.schema(
    [
        ("session_id", pa.string()),
        ("visitor_id", pa.string()),
        ("session_index", pa.int32()),
        ("session_start", pa.timestamp("us", tz="UTC")),
        ("session_end", pa.timestamp("us", tz="UTC")),
        ("session_date", pa.date32()),
        ("duration_s", pa.float64()),
        ("event_count", pa.int32()),
        ("page_view_count", pa.int32()),
        ("entry_page", pa.string()),
        ("exit_page", pa.string()),
        ("landing_referrer", pa.string()),
        ("utm_source", pa.string()),
        ("utm_medium", pa.string()),
        ("utm_campaign", pa.string()),
        ("channel", pa.string()),
        ("device_type", pa.string()),
        ("is_bounce", pa.bool_()),
        ("is_converted", pa.bool_()),
        ("order_count", pa.int32()),
        ("revenue", pa.float64()),
        ("is_bot", pa.bool_()),
        ("bot_reason", pa.string()),
        ("rules_version", pa.string()),
        ("run_id", pa.string()),
    ]
)
QUARANTINE_SCHEMA = pa.schema(
    [
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("raw", pa.string()),
        ("raw_truncated", pa.bool_()),
        ("source_format", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("ingest_date", pa.date32()),
        ("run_id", pa.string()),
    ]
)


def write_partitioned(
    rows: list[dict[str, object]], schema: pa.Schema, root: Path, key: str, version: str = RUN_ID
) -> list[str]:
    """Write rows as the Spark job publishes them: one folder per `key=value` holding the version folder
    `v=<version>`, the key column not stored in the files. Returns the partition values written."""
    parts: dict[object, list[dict[str, object]]] = {}
    for row in rows:
        parts.setdefault(row[key], []).append(row)
    file_schema = pa.schema([f for f in schema if f.name != key])
    for value, part in sorted(parts.items(), key=lambda kv: str(kv[0])):
        directory = root / f"{key}={value}" / f"v={version}"
        directory.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist([{k: v for k, v in r.items() if k != key} for r in part], file_schema)
        pq.write_table(table, directory / "part-00000.snappy.parquet")
    return [str(v) for v in sorted(parts, key=str)]


def pointer_text(current: dict[str, dict[str, str]], run_ids: list[str], generation: int = 1) -> str:
    """The publish pointer (docs/data-contract.md, "The publish pointer"): dataset -> {partition value:
    version} of every published partition, and the published manifests' run ids."""
    writer = run_ids[-1] if run_ids else ""
    rows = [{"dataset": "_pointer", "key": str(generation), "version": writer, "status": "current"}]
    rows += [
        {"dataset": name, "key": value, "version": version, "status": "current"}
        for name, versions in current.items()
        for value, version in sorted(versions.items())
    ]
    rows += [{"dataset": "manifests", "key": r, "version": r, "status": "current"} for r in run_ids]
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)


def manifest(events: list[dict[str, object]], sessions: list[dict[str, object]]) -> dict[str, object]:
    """The run manifest with reconciled counts (read == valid + quarantined + filtered)."""
    unique = {str(e["event_id"]): e for e in events}.values()
    human = sum(1 for e in unique if not e["is_bot"])
    valid = len(unique)
    reasons: dict[str, int] = {}
    for _, reason in QUARANTINE:
        reasons[reason] = reasons.get(reason, 0) + 1
    return {
        "run_id": RUN_ID,
        "started_at": "2024-06-04T01:00:00Z",
        "finished_at": "2024-06-04T01:01:00Z",
        "rules_version": RULES_VERSION,
        "input": "raw/",
        "format": "jsonl",
        "window": {
            "start": DAYS[0],
            "end": (date.fromisoformat(DAYS[-1]) + timedelta(days=1)).isoformat(),
            "lookback_hours": 6,
        },
        "counts": {
            "read": valid + len(QUARANTINE),
            "valid": valid,
            "quarantined": len(QUARANTINE),
            "filtered": 0,
            "human": human,
            "bot": valid - human,
            "late": sum(1 for e in unique if e["is_late"]),
            "sessions": len(sessions),
            "human_sessions": sum(1 for s in sessions if not s["is_bot"]),
            "bot_sessions": sum(1 for s in sessions if s["is_bot"]),
            "quarantined_by_reason": reasons,
        },
        "reconciled": True,
        "partitions": {
            "events": list(DAYS),
            "sessions": list(DAYS),
            "quarantine": sorted({d for d, _ in QUARANTINE}),
        },
    }


def write_fixture(root: Path) -> Path:
    """Write the whole staging root (events/, sessions/, quarantine/, manifests/) and return it."""
    events, sessions = event_rows(), session_rows()
    published = {
        "events": write_partitioned(events, EVENT_SCHEMA, root / "events", "event_date"),
        "sessions": write_partitioned(sessions, SESSION_SCHEMA, root / "sessions", "session_date"),
        "quarantine": write_partitioned(
            quarantine_rows(), QUARANTINE_SCHEMA, root / "quarantine", "ingest_date"
        ),
    }
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    # One line, as the Spark job writes it (BigQuery reads manifests as newline-delimited JSON).
    (root / "manifests" / f"run_id={RUN_ID}.json").write_text(json.dumps(manifest(events, sessions)) + "\n")
    versions = {name: dict.fromkeys(values, RUN_ID) for name, values in published.items()}
    (root / "_current.jsonl").write_text(pointer_text(versions, [RUN_ID]))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the deterministic dbt test fixture (staging root).")
    parser.add_argument("output", type=Path, help="staging root to create (events/, sessions/, ...)")
    print(write_fixture(parser.parse_args().output))


if __name__ == "__main__":
    main()
