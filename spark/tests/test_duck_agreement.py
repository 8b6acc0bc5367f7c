"""The DuckDB comparator of ``make bench-spark`` does the job's work: same events, sessions and quarantine.

This keeps the benchmark honest (its ratio compares two engines doing one job) and gives the Spark job a
second, independently written oracle in SQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from helpers import START, gen, run_job
from pyspark.sql import SparkSession

from caec_spark.config import RulesConfig
from caec_spark_dev import duck

END = START + dt.timedelta(days=3)
EVENT_COLS = (
    "event_id, event_ts, visitor_id, session_id, seq_in_session, event_type, page_path, utm_source, "
    "utm_medium, utm_campaign, user_agent, device_type, is_bot, bot_reason, is_late, revenue, price, "
    "source_format, regexp_extract(source_file, '[^/]*$') AS file_name, source_line, rules_version"
)
SESSION_COLS = (
    "session_id, visitor_id, session_index, session_start, session_end, duration_s, event_count, "
    "page_view_count, entry_page, exit_page, landing_referrer, utm_source, channel, device_type, is_bounce, "
    "is_converted, order_count, revenue, is_bot, bot_reason"
)


def _rows(root: Path, name: str, cols: str) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    # ** : the job's partitions hold one version folder each (one run), the comparator's none
    rel = f"read_parquet('{root}/{name}/**/*.parquet', hive_partitioning = false)"
    return con.execute(f"SELECT {cols} FROM {rel} ORDER BY ALL").fetchall()


@pytest.fixture(scope="module")
def runs(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, dict]:
    base = tmp_path_factory.mktemp("duck")
    raw = gen(base / "raw", "jsonl", events=2000, seed=23)
    res = run_job(spark, raw, base / "spark", "jsonl")
    return raw, base / "spark", base / "duck", res.counts


def test_duckdb_comparator_writes_the_jobs_events_sessions_and_quarantine(
    runs: tuple[Path, Path, Path, dict],
) -> None:
    raw, spark_out, duck_out, spark_counts = runs
    counts = duck.run(f"{raw}/dt=*/*.jsonl.gz", str(duck_out), START, END, "test-salt")
    assert counts["valid"] > 1000 and counts["quarantined"] > 0 and counts["bot"] > 0
    # the counts the bench compares (its `agree` column)
    assert {k: spark_counts[k] for k in counts} == counts
    for name, cols in (
        ("events", EVENT_COLS),
        ("sessions", SESSION_COLS),
        ("quarantine", "reason, source_line, raw"),
    ):
        ours, theirs = _rows(spark_out, name, cols), _rows(duck_out, name, cols)
        assert len(ours) == len(theirs), name
        diff = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
        assert not diff, (name, diff[:2])


def test_the_comparison_can_fail(runs: tuple[Path, Path, Path, dict], tmp_path: Path) -> None:
    """Different rules in the comparator give different sessions, and the comparison sees it."""
    raw, spark_out, _, _ = runs
    other = tmp_path / "other"
    duck.run(
        f"{raw}/dt=*/*.jsonl.gz",
        str(other),
        START,
        END,
        "test-salt",
        rules=RulesConfig(inactivity_timeout_s=300, max_session_s=3600),
    )
    assert _rows(spark_out, "sessions", SESSION_COLS) != _rows(other, "sessions", SESSION_COLS)
