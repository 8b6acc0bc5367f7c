"""Runs compose: day-by-day runs == one run over the range; re-runs are idempotent; failures publish nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from helpers import START, gen, read, run_job
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

import caec_spark.job as job


def _strip(df: DataFrame) -> DataFrame:
    return df.drop("run_id")


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gen(tmp_path_factory.mktemp("compose") / "raw", "jsonl", events=1500, seed=5)


def test_day_by_day_equals_single_run(spark: SparkSession, raw: Path, tmp_path: Path) -> None:
    single, split = tmp_path / "single", tmp_path / "split"
    run_job(spark, raw, single, "jsonl", run_id="all")
    for i in range(3):
        d = START + dt.timedelta(days=i)
        res = run_job(spark, raw, split, "jsonl", start=d, end=d + dt.timedelta(days=1), run_id=f"day{i}")
        assert res.manifest["continued_from_state"] == (i > 0)
    sessions = read(spark, single, "sessions")
    crossing = sessions.where(F.to_date("session_end") > F.col("session_date")).count()
    assert crossing > 0, (
        "the generated data must contain midnight-crossing sessions for this test to mean anything"
    )
    for name in ("events", "sessions", "quarantine"):
        assertDataFrameEqual(_strip(read(spark, split, name)), _strip(read(spark, single, name)))


def _listing(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for p in root.rglob("*")
        if p.is_file() and "manifests" not in p.parts
    }


def test_rerun_is_idempotent_and_a_failed_run_publishes_nothing(
    spark: SparkSession, raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    end = START + dt.timedelta(days=1)
    run_job(spark, raw, out, "jsonl", run_id="a", start=START, end=end)
    first = {n: _strip(read(spark, out, n)).collect() for n in ("events", "sessions", "quarantine")}
    run_job(spark, raw, out, "jsonl", run_id="b", start=START, end=end)
    for n, rows in first.items():
        assertDataFrameEqual(_strip(read(spark, out, n)), rows)
    assert sorted(p.name for p in (out / "manifests").glob("*.json")) == ["run_id=a.json", "run_id=b.json"]
    before = _listing(out)
    # Fault injection: make the reconciliation fail after everything was staged.
    monkeypatch.setattr(job, "check_counts", lambda counts: (False, ["injected mismatch"]))
    with pytest.raises(job.ReconciliationError, match="injected mismatch"):
        run_job(spark, raw, out, "jsonl", run_id="bad", start=START, end=end)
    assert _listing(out) == before
    assert not (out / "_tmp" / "bad").exists()
    assert not (out / "manifests" / "run_id=bad.json").exists()


def test_events_lost_in_the_write_fail_the_run(
    spark: SparkSession, raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event counts are read back from the staged files, so a write that loses rows is caught."""
    out = tmp_path / "out"
    real_write = job._write

    def lossy_write(df: DataFrame, uri: str, *args: Any, **kwargs: Any) -> None:
        if uri.rstrip("/").endswith("/events"):
            df = df.where(~F.col("is_bot"))  # fault injection: the bots' events never reach the files
        real_write(df, uri, *args, **kwargs)

    monkeypatch.setattr(job, "_write", lossy_write)
    with pytest.raises(job.ReconciliationError, match=r"window records routed but \d+ events written"):
        run_job(spark, raw, out, "jsonl", run_id="lossy", start=START, end=START + dt.timedelta(days=1))
    assert not (out / "events").exists()
    assert not (out / "manifests").exists()


def test_large_outputs_are_written_one_file_per_date_per_core(spark: SparkSession, tmp_path: Path) -> None:
    """Locally the cached partitions are coalesced before the write: files per date = cores, not partitions."""
    rows = spark.range(0, 600, numPartitions=6).select(
        F.col("id"), F.when(F.col("id") % 2 == 0, "2026-11-01").otherwise("2026-11-02").alias("d")
    )
    job._write(rows, str(tmp_path / "out"), "quarantine", "d")
    files = {p.name: len(list(p.glob("*.parquet"))) for p in (tmp_path / "out").glob("d=*")}
    cores = spark.sparkContext.defaultParallelism
    assert files == {"d=2026-11-01": cores, "d=2026-11-02": cores}  # 6 each without the coalesce
    assert spark.read.parquet(str(tmp_path / "out")).count() == 600
