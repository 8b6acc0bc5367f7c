"""Helpers shared by the format parsers (Spark column expressions only)."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def blank_to_null(c: Column) -> Column:
    """Empty strings and the web-log placeholder '-' mean 'absent'."""
    t = F.trim(c)
    return F.when((t == "") | (t == "-") | t.isNull(), F.lit(None).cast("string")).otherwise(t)


def first_reason(*pairs: tuple[Column, str]) -> Column:
    """The first reason whose condition holds, else null (reasons are checked in priority order)."""
    out: Column = F.lit(None).cast("string")
    for cond, reason in reversed(pairs):
        out = F.when(cond, F.lit(reason)).otherwise(out)
    return out


def nulls(*names: str) -> list[Column]:
    return [F.lit(None).cast("string").alias(n) for n in names]


def finish(df: DataFrame, lines: DataFrame) -> DataFrame:
    """Keep the raw-line columns plus the canonical parsed columns, dropping parser temporaries."""
    from caec_spark.formats import PARSED_COLUMNS

    return df.select(*lines.columns, *PARSED_COLUMNS)
