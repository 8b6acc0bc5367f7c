"""End to end on generated data: the job's answer is checked against the generator's ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import gen, read, run_job, with_rel_file
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from caec_spark.job import RunResult

TruthRun = tuple[str, Path, Path, RunResult]

MALFORMED_REASON = {
    "garbage": {"parse_error", "wrong_columns"},
    "truncated": {"parse_error", "wrong_columns"},
    "bad_timestamp": {"bad_timestamp", "parse_error"},
    "unknown_event_type": {"unknown_event_type", "parse_error"},
    "future_timestamp": {"future_timestamp"},
}


@pytest.fixture(scope="module", params=["jsonl", "combined", "retailrocket", "rees46"])
def truth_run(
    request: pytest.FixtureRequest, spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
) -> TruthRun:
    fmt = request.param
    base = tmp_path_factory.mktemp(f"truth_{fmt}")
    raw = gen(base / "raw", fmt, events=2500, seed=11)
    res = run_job(spark, raw, base / "out", fmt)
    return fmt, raw, base / "out", res


def test_every_truth_event_is_in_events_and_malformed_in_quarantine(
    spark: SparkSession, truth_run: TruthRun
) -> None:
    _fmt, raw, out, res = truth_run
    truth = spark.read.parquet(str(raw / "_truth" / "lines.parquet"))
    ev = with_rel_file(read(spark, out, "events"))
    q = with_rel_file(read(spark, out, "quarantine"))
    n_events = truth.where(~F.col("malformed")).count()
    n_bad = truth.where(F.col("malformed")).count()
    assert res.counts["valid"] == n_events == ev.count()
    assert res.counts["quarantined"] == n_bad == q.count()
    assert res.counts["read"] == res.counts["valid"] + res.counts["quarantined"] + res.counts["filtered"]
    joined = ev.join(truth, (ev.file == truth.file) & (ev.source_line == truth.line), "left")
    assert joined.where(F.col("malformed").isNull() | F.col("malformed")).count() == 0
    qj = (
        q.join(truth, (q.file == truth.file) & (q.source_line == truth.line))
        .select("malformed_kind", "reason")
        .collect()
    )
    assert len(qj) == n_bad
    wrong = [(r.malformed_kind, r.reason) for r in qj if r.reason not in MALFORMED_REASON[r.malformed_kind]]
    assert not wrong, wrong[:5]


def test_sessions_match_truth_exactly(spark: SparkSession, truth_run: TruthRun) -> None:
    _fmt, raw, out, _ = truth_run
    truth = spark.read.parquet(str(raw / "_truth" / "lines.parquet")).where(~F.col("malformed"))
    ev = with_rel_file(read(spark, out, "events"))
    j = ev.join(truth, (ev.file == truth.file) & (ev.source_line == truth.line))
    # a bijection between true sessions and computed session ids
    assert j.groupBy("session_key").agg(F.countDistinct("session_id").alias("n")).where("n != 1").count() == 0
    assert j.groupBy("session_id").agg(F.countDistinct("session_key").alias("n")).where("n != 1").count() == 0
    sessions = read(spark, out, "sessions")
    assert sessions.count() == truth.select("session_key").distinct().count()


def test_bots_match_truth(spark: SparkSession, truth_run: TruthRun) -> None:
    _fmt, raw, out, _ = truth_run
    truth = spark.read.parquet(str(raw / "_truth" / "lines.parquet")).where(~F.col("malformed"))
    ev = with_rel_file(read(spark, out, "events"))
    j = ev.join(truth, (ev.file == truth.file) & (ev.source_line == truth.line))
    mismatched = (
        j.where(ev.is_bot != truth.is_bot)
        .select("session_key", "bot_kind", "bot_reason")
        .distinct()
        .collect()
    )
    assert not mismatched, mismatched[:5]
    assert j.where(truth.is_bot).count() > 0
