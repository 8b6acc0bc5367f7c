"""Helpers shared by the format parsers (Spark column expressions only)."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

# The timestamps an event may carry: BigQuery's TIMESTAMP range (years 1..9999), which the marts use.
# Anything outside is ``bad_timestamp``, never a value that overflows a later step.
TS_MIN = dt.datetime(1, 1, 1)
TS_MAX = dt.datetime(9999, 12, 31, 23, 59, 59, 999999)
_EPOCH = dt.datetime(1970, 1, 1)
MILLIS_MIN = (TS_MIN - _EPOCH) // dt.timedelta(milliseconds=1)
MILLIS_MAX = (TS_MAX - _EPOCH) // dt.timedelta(milliseconds=1)

# The product and order fields of an event, in the order the parsed record and the events output list them.
ITEM_COLUMNS = ("item_id", "category", "brand", "price", "transaction_id", "revenue")


def blank_to_null(c: Column) -> Column:
    """Empty strings and the web-log placeholder '-' mean 'absent'."""
    t = F.trim(c)
    return F.when((t == "") | (t == "-") | t.isNull(), F.lit(None).cast("string")).otherwise(t)


def finite_double(text: Column) -> Column:
    """The text as a double, or null when it is not a number or not finite (NaN, +-Infinity, 1e999)."""
    v = text.try_cast("double")
    return F.when(~F.isnan(v) & (F.abs(v) < F.lit(float("inf"))), v)


def timestamp_from_millis(ms: Column) -> Column:
    """Epoch milliseconds as a timestamp, null outside :data:`TS_MIN`..:data:`TS_MAX`.

    ``timestamp_millis`` throws DATETIME_OVERFLOW (failing the task, and so the run) on values such as
    99999999999999999; checking the range first makes them ``bad_timestamp`` records instead.
    """
    return F.when(ms.between(MILLIS_MIN, MILLIS_MAX), F.timestamp_millis(ms))


def timestamp_in_range(ts: Column) -> Column:
    """True for a timestamp inside :data:`TS_MIN`..:data:`TS_MAX` (Spark itself allows years to 294247)."""
    return ts.between(F.lit(TS_MIN), F.lit(TS_MAX))


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
