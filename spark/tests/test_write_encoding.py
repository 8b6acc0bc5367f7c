"""Parquet encodings of the outputs: every writer (the job's and the erasure's rewrites) leaves the columns
of its dataset's PLAIN_COLUMNS entry without a dictionary, those names are columns of the dataset they are
meant for, and no two Parquet writes run at once.

The real entries are (nearly) unique per row, so their files say PLAIN with or without the option (what it
saves is the dictionary built and dropped while writing). To see that each writer really passes its entry
on, the test adds a low-cardinality column that the writer would otherwise dictionary-encode.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from helpers import START, a_raw_visitor, gen, run_job
from pyspark.sql import DataFrameWriter, SparkSession

import caec_spark.job as job
from caec_spark import erasure
from caec_spark.config import DayWindow, RunConfig
from caec_spark.publish import PLAIN_COLUMNS
from caec_spark.transforms.sessionize import ANCHOR_SCHEMA
from caec_spark.transforms.sessions import SESSION_COLUMNS

# a low-cardinality column per output: dictionary-encoded unless the writer is told otherwise
PROBE = {"events": "event_type", "sessions": "channel", "state": "session_index"}
DIRS = {"events": "events", "sessions": "sessions", "state": "_state"}
DAY = dt.timedelta(days=1)


def _dictionary_columns(root: Path, dataset: str, version: str = "*") -> dict[str, bool]:
    """Per column of the published files of ``dataset`` (of one version, or all): does any file use a
    dictionary for it?"""
    files = [p for p in (root / dataset).rglob(f"v={version}/*.parquet") if "_tmp" not in p.parts]
    assert files, f"no files of version {version} under {root / dataset}"
    out: dict[str, bool] = {}
    for f in files:
        meta = pq.ParquetFile(f).metadata
        for g in range(meta.num_row_groups):
            for i in range(meta.num_columns):
                col = meta.row_group(g).column(i)
                used = any("DICTIONARY" in e for e in col.encodings)
                out[col.path_in_schema] = out.get(col.path_in_schema, False) or used
    return out


def test_plain_columns_are_columns_of_their_outputs() -> None:
    state_columns = {field.split()[0] for field in ANCHOR_SCHEMA.split(",")}
    assert set(PLAIN_COLUMNS) == set(PROBE)
    assert set(PLAIN_COLUMNS["events"]) <= set(job.EVENT_COLUMNS)
    assert set(PLAIN_COLUMNS["sessions"]) <= set(SESSION_COLUMNS)
    assert set(PLAIN_COLUMNS["state"]) <= state_columns


def test_every_writer_applies_its_plain_columns(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = gen(tmp_path / "raw", "jsonl", events=1500, seed=11)
    control = tmp_path / "control"
    run_job(spark, raw, control, "jsonl", start=START, end=START + DAY, run_id="c0")
    for name, column in PROBE.items():
        assert _dictionary_columns(control, DIRS[name])[column], (
            f"{name}.{column} is not dictionary-encoded by default: the probe shows nothing"
        )

    for name, column in PROBE.items():
        monkeypatch.setitem(PLAIN_COLUMNS, name, (*PLAIN_COLUMNS[name], column))
    out = tmp_path / "out"
    run_job(spark, raw, out, "jsonl", start=START, end=START + DAY, run_id="d0")
    # the second day continues the first: its run also rewrites day 0's events (the events_prev writer)
    res = run_job(spark, raw, out, "jsonl", start=START + DAY, end=START + 2 * DAY, run_id="d1")
    assert res.manifest["continued_from_state"]
    assert list((out / "events" / f"event_date={START}").glob("v=d1")), "day 0's events were not rewritten"
    for name, column in PROBE.items():
        encoded = _dictionary_columns(out, DIRS[name])
        assert not encoded[column], f"{name}.{column} was written with a dictionary"
        assert not any(encoded[c] for c in PLAIN_COLUMNS[name]), (name, encoded)


def test_erasure_rewrites_keep_the_plain_columns(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = gen(tmp_path / "raw", "jsonl", events=1500, seed=11)
    for name, column in PROBE.items():
        monkeypatch.setitem(PLAIN_COLUMNS, name, (*PLAIN_COLUMNS[name], column))
    out = tmp_path / "out"
    run_job(spark, raw, out, "jsonl", start=START, end=START + DAY, run_id="d0")
    cfg = RunConfig(
        input_uri="",
        fmt="jsonl",
        output_uri=str(out),
        window=DayWindow(START, START + DAY),
        run_id="erase_1",
        salt="test-salt",
    )
    request = erasure.Request(ids=(a_raw_visitor(raw),), formats=("jsonl",))
    entry = erasure.run_erasure(
        spark, cfg, request, "req-1", "steward@example", dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    )
    assert {r["dataset"] for r in entry["staging"]} >= set(PROBE), entry
    for name, column in PROBE.items():
        encoded = _dictionary_columns(out, DIRS[name], version="erase_1")
        assert not encoded[column], f"{name}.{column} was rewritten with a dictionary"
        assert not any(encoded[c] for c in PLAIN_COLUMNS[name]), (name, encoded)


def test_parquet_writes_run_one_at_a_time(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """parquet-java 1.17 (Spark 4.3's) makes every column writer from the properties of the Parquet writer
    set up last in the JVM (apache/parquet-java#3497), so two writes with different options running at once
    take each other's: about one run in ten of the test above lost a writer's PLAIN_COLUMNS that way.
    The job's writes run one after the other; this holds for every Parquet write of a continuing run.
    """
    lock = threading.Lock()
    running: list[str] = []
    overlaps: list[tuple[str, ...]] = []
    written: list[str] = []
    real_parquet = DataFrameWriter.parquet

    def tracked(self: DataFrameWriter, path: str, *args: Any, **kwargs: Any) -> None:
        with lock:
            if running:
                overlaps.append((*running, path))
            running.append(path)
        try:
            real_parquet(self, path, *args, **kwargs)
        finally:
            with lock:
                running.remove(path)
                written.append(path)

    monkeypatch.setattr(DataFrameWriter, "parquet", tracked)
    raw = gen(tmp_path / "raw", "jsonl", events=1500, seed=11)
    out = tmp_path / "out"
    run_job(spark, raw, out, "jsonl", start=START, end=START + DAY, run_id="d0")
    run_job(spark, raw, out, "jsonl", start=START + DAY, end=START + 2 * DAY, run_id="d1")
    # d1 writes events, sessions, quarantine, state and the rewritten previous day
    assert sum("/_tmp/d1/" in p for p in written) >= 5, written
    assert not overlaps, f"Parquet writes ran at once: {overlaps}"
