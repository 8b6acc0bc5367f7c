"""A full build and a day-by-day incremental build (with look-back) produce identical marts."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR, DbtRunner, local_env
from fixture import DAYS, QUARANTINE_SCHEMA, RUN_ID, pointer_text, quarantine_rows, write_partitioned

# Every mart the project defines (a new one is covered without editing this list), and the intermediate
# tables that carry incremental state of their own.
TABLES = [f"marts.{p.stem}" for p in sorted((PROJECT_DIR / "models" / "marts").glob("*.sql"))] + [
    "staging.int_visitor_first_touch",
    "staging.int_product_daily",
]


def table_rows(db: Path, table: str) -> list[tuple[object, ...]]:
    """Every row of a table (schema.name) in a canonical order."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(f"select * from {table} order by all").fetchall()


@pytest.fixture(scope="module")
def incremental_build(
    staging_root: Path, run_dbt: DbtRunner, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """One `dbt run` per day in order, each re-building the previous day too (lookback_days=1); the last
    day is a `dbt build`, so the data tests also run against windowed (incremental) state. The last day
    (Monday 2024-06-03) has no look-back, so its window starts a new ISO week: agg_retention_weekly then
    takes the earlier cohort's size from its stored rows and dim_visitors / int_visitor_first_touch keep
    stored rows of visitors first seen before the window (the paths a long history exercises)."""
    db = tmp_path_factory.mktemp("incremental") / "caec.duckdb"
    target = tmp_path_factory.mktemp("inc-target")
    for n, day in enumerate(DAYS):
        end = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        command = "build" if n == len(DAYS) - 1 else "run"
        run_dbt(
            [command],
            local_env(staging_root, db),
            {"start_date": day, "end_date": end, "lookback_days": 0 if n == len(DAYS) - 1 else 1},
            target_path=target,
        )
    return db


@pytest.mark.parametrize("table", TABLES)
def test_full_equals_day_by_day(full_build: Path, incremental_build: Path, table: str) -> None:
    full = table_rows(full_build, table)
    assert full, f"{table} is empty in the full build: the comparison would prove nothing"
    assert table_rows(incremental_build, table) == full


def test_window_vars_fail_fast(staging_root: Path, run_dbt: DbtRunner, tmp_path: Path) -> None:
    """A half-set window is a usage error with a message that says what to pass."""
    proc = run_dbt(
        ["run", "--select", "agg_daily_traffic"],
        local_env(staging_root, tmp_path / "w.duckdb"),
        {"start_date": DAYS[0]},
        check=False,
    )
    assert proc.returncode != 0
    assert "Set both vars start_date and end_date" in proc.stdout


def test_missing_staging_output_says_what_to_run(run_dbt: DbtRunner, tmp_path: Path) -> None:
    """No Spark output yet: the build stops with the fix in the message, not a bare file-glob error."""
    proc = run_dbt(
        ["run", "--select", "stg_caec__events"],
        local_env(tmp_path / "no-such-staging", tmp_path / "w.duckdb"),
        check=False,
    )
    assert proc.returncode != 0
    assert "Run the Spark job first" in proc.stdout


def test_a_published_run_with_no_events_points_at_its_manifest(run_dbt: DbtRunner, tmp_path: Path) -> None:
    """Every record quarantined: the job publishes a pointer and a manifest but no events. The build says
    what happened and what to check, not "Run the Spark job first" (it did run)."""
    root = tmp_path / "staging"
    write_partitioned(quarantine_rows(), QUARANTINE_SCHEMA, root / "quarantine", "ingest_date")
    (root / "manifests").mkdir(parents=True)
    (root / "manifests" / f"run_id={RUN_ID}.json").write_text(json.dumps({"run_id": RUN_ID}) + "\n")
    (root / "_current.jsonl").write_text(pointer_text({}, [RUN_ID]))
    proc = run_dbt(
        ["run", "--select", "stg_caec__events"], local_env(root, tmp_path / "w.duckdb"), check=False
    )
    assert proc.returncode != 0
    assert "The Spark job published no events" in proc.stdout
    assert "check the input FORMAT" in proc.stdout
    assert "Run the Spark job first" not in proc.stdout
