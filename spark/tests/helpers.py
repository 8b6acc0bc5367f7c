"""Shared helpers for tests: generate data, run the job, read outputs."""

from __future__ import annotations

import datetime as dt
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
