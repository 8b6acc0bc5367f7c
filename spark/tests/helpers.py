"""Shared helpers for tests: generate data, run the job, read outputs."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from caec_spark.config import DayWindow, RulesConfig, RunConfig
from caec_spark.job import RunResult, run
from caec_spark.publish import read_published
from caec_spark_dev.generate import GenerateConfig, generate

START = dt.date(2026, 11, 1)


def gen(
    out: Path, fmt: str, events: int = 3000, seed: int = 7, days: int = 3, malformed_rate: float = 0.01
) -> Path:
    generate(
        GenerateConfig(
            events=events,
            fmt=fmt,
            seed=seed,
            output=str(out),
            start=START,
            days=days,
            malformed_rate=malformed_rate,
        )
    )
    return out


def run_job(
    spark: SparkSession,
    raw: Path | str,
    out: Path | str,
    fmt: str,
    start: dt.date = START,
    end: dt.date = START + dt.timedelta(days=3),
    run_id: str = "test",
    rules: RulesConfig | None = None,
    lookback_hours: int = 6,
) -> RunResult:
    cfg = RunConfig(
        input_uri=str(raw),
        fmt=fmt,
        output_uri=str(out),
        window=DayWindow(start, end),
        run_id=run_id,
        lookback_hours=lookback_hours,
        rules=rules or RulesConfig(),
        salt="test-salt",
    )
    return run(spark, cfg)


def read(spark: SparkSession, out: Path | str, name: str) -> DataFrame:
    """The published partitions of one dataset, resolved through the pointer as every reader does."""
    df = read_published(spark, str(out), name)
    assert df is not None, f"nothing of {name} is published under {out}"
    return df


def with_rel_file(df: DataFrame) -> DataFrame:
    return df.withColumn("file", F.regexp_extract("source_file", r"(dt=[^/]+/[^/]+)$", 1))


def a_raw_visitor(raw: Path) -> str:
    """The clear visitor id of the first parseable record of the generated logs (what a steward erases)."""
    for f in sorted(p for p in raw.rglob("*") if p.is_file() and not p.name.startswith((".", "_"))):
        data = f.read_bytes()
        try:  # the generated logs hold corrupt and truncated files on purpose
            text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8", "replace")
        except (OSError, EOFError):
            continue
        for line in text.splitlines():
            try:
                return str(json.loads(line)["visitor_id"])
            except (ValueError, KeyError, TypeError):
                continue
    raise AssertionError(f"no visitor id in {raw}")
