"""Parquet encodings of the outputs: every writer leaves the columns of its PLAIN_COLUMNS entry without a
dictionary, and those names are columns of the output they are meant for.

The real entries are (nearly) unique per row, so their files say PLAIN with or without the option (what it
saves is the dictionary built and dropped while writing). To see that each writer really passes its entry
on, the test adds a low-cardinality column that the writer would otherwise dictionary-encode.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers import START, gen, run_job
from pyspark.sql import SparkSession

import caec_spark.job as job
from caec_spark.transforms.sessionize import ANCHOR_SCHEMA
from caec_spark.transforms.sessions import SESSION_COLUMNS

# a low-cardinality column per output: dictionary-encoded unless the writer is told otherwise
PROBE = {"events": "event_type", "sessions": "channel", "state": "session_index"}
DIRS = {"events": "events", "sessions": "sessions", "state": "_state"}
DAY = dt.timedelta(days=1)


def _dictionary_columns(root: Path, dataset: str) -> dict[str, bool]:
    """Per column of the published files of ``dataset``: does any file use a dictionary for it?"""
    files = [p for p in (root / dataset).rglob("*.parquet") if "_tmp" not in p.parts]
    assert files, f"no files under {root / dataset}"
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
    assert set(job.PLAIN_COLUMNS) == set(PROBE)
    assert set(job.PLAIN_COLUMNS["events"]) <= set(job.EVENT_COLUMNS)
    assert set(job.PLAIN_COLUMNS["sessions"]) <= set(SESSION_COLUMNS)
    assert set(job.PLAIN_COLUMNS["state"]) <= state_columns


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
        monkeypatch.setitem(job.PLAIN_COLUMNS, name, (*job.PLAIN_COLUMNS[name], column))
    out = tmp_path / "out"
    run_job(spark, raw, out, "jsonl", start=START, end=START + DAY, run_id="d0")
    # the second day continues the first: its run also rewrites day 0's events (the events_prev writer)
    res = run_job(spark, raw, out, "jsonl", start=START + DAY, end=START + 2 * DAY, run_id="d1")
    assert res.manifest["continued_from_state"]
    assert list((out / "events" / f"event_date={START}").glob("v=d1")), "day 0's events were not rewritten"
    for name, column in PROBE.items():
        encoded = _dictionary_columns(out, DIRS[name])
        assert not encoded[column], f"{name}.{column} was written with a dictionary"
        assert not any(encoded[c] for c in job.PLAIN_COLUMNS[name]), (name, encoded)
