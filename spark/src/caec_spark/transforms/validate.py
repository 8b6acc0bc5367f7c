"""One place that decides, per raw record: quarantine (with reason), filtered, or valid event."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from caec_spark.config import RulesConfig
from caec_spark.formats._common import first_reason, timestamp_in_range

CANONICAL_EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "remove_from_cart", "purchase", "other")


def classify(parsed: DataFrame, rules: RulesConfig, run_started: dt.datetime) -> DataFrame:
    """Add ``reason``/``detail`` (quarantine) using the splitter's, the parser's and value checks.

    Priority: file/line problems, line length, parser problems, missing fields, unknown event type,
    future timestamp. A record gets exactly one reason (the first that applies).
    """
    horizon: Column = F.coalesce(
        F.to_timestamp(F.col("file_dt")) + F.expr(f"INTERVAL {24 + rules.future_grace_hours} HOURS"),
        F.lit(run_started) + F.expr(f"INTERVAL {rules.future_grace_hours} HOURS"),
    )
    # Flags first (one select), then the reason from the flags: keeps the generated code small.
    flags = parsed.select(
        "*",
        (F.octet_length("raw") > rules.max_line_bytes).alias("_too_long"),
        (F.col("visitor_key").isNull() | F.col("ts_text").isNull() | F.col("event_type_raw").isNull()).alias(
            "_missing"
        ),
        # unparseable, or parsed to a year outside 1..9999 (the warehouse's range; Spark goes further)
        (
            F.col("ts_text").isNotNull() & F.coalesce(~timestamp_in_range(F.col("event_ts")), F.lit(True))
        ).alias("_bad_ts"),
        (F.col("event_type").isNull() | ~F.col("event_type").isin(*CANONICAL_EVENT_TYPES)).alias("_unknown"),
        # "Future" is relative to the file's day when the layout has one (deterministic on re-runs);
        # undated files fall back to the run's start time.
        (F.col("event_ts") > horizon).alias("_future"),
    )
    reason = F.coalesce(
        F.col("reason"),
        first_reason(
            (F.col("_too_long"), "line_too_long"),
            (F.col("parse_reason").isNotNull(), "__parser__"),
            (F.col("_missing"), "missing_field"),
            (F.col("_bad_ts"), "bad_timestamp"),
            (F.col("filter_reason").isNull() & F.col("_unknown"), "unknown_event_type"),
            (F.col("_future"), "future_timestamp"),
        ),
    )
    s2 = flags.withColumn("reason", F.when(reason == "__parser__", F.col("parse_reason")).otherwise(reason))
    detail = F.coalesce(
        F.col("detail"),
        F.when(
            F.col("_too_long"),
            F.format_string(
                "line of %d bytes exceeds %d", F.octet_length("raw"), F.lit(rules.max_line_bytes)
            ),
        ),
        F.col("parse_detail"),
        F.when(F.col("_missing"), F.lit("visitor, timestamp or event type missing")),
        F.when(
            F.col("_bad_ts"),
            F.concat(F.lit("unparseable or out-of-range timestamp: "), F.substring("ts_text", 1, 64)),
        ),
        F.when(
            F.col("_unknown"),
            F.concat(F.lit("unknown event type: "), F.coalesce(F.col("event_type_raw"), F.lit("null"))),
        ),
        F.when(
            F.col("_future"),
            F.concat(F.lit("timestamp after the file's day: "), F.col("event_ts").cast("string")),
        ),
    )
    return s2.withColumn("detail", F.when(F.col("reason").isNotNull(), detail)).drop(
        "_too_long", "_missing", "_bad_ts", "_unknown", "_future"
    )
