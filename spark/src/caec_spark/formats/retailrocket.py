"""RetailRocket ``events.csv``: ``timestamp,visitorid,event,itemid,transactionid`` (ms epoch, UTC)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from caec_spark.formats._common import blank_to_null, finish, first_reason, timestamp_from_millis

EVENT_MAP = {"view": "product_view", "addtocart": "add_to_cart", "transaction": "purchase"}


def parse(lines: DataFrame) -> DataFrame:
    """Map RetailRocket rows to the canonical event; no user agent, so device is 'unknown'."""
    s1 = lines.select("*", F.split(F.regexp_replace("raw", "\r$", ""), ",", -1).alias("_f"))
    s2 = s1.select(
        "*",
        F.size("_f").alias("_n"),
        *[blank_to_null(F.get(F.col("_f"), i)).alias(f"_c{i}") for i in range(5)],
    )
    mapping = F.create_map(*[x for kv in EVENT_MAP.items() for x in (F.lit(kv[0]), F.lit(kv[1]))])
    s3 = s2.select("*", F.col("_c0").try_cast("long").alias("_ms"), F.lower("_c2").alias("event_type_raw"))
    n = F.col("_n")
    out = s3.select(
        "*",
        timestamp_from_millis(F.col("_ms")).alias("event_ts"),
        F.col("_c0").alias("ts_text"),
        F.concat(F.lit("rr:"), F.col("_c1")).alias("visitor_key"),
        F.lit(None).cast("string").alias("ip"),
        mapping[F.col("event_type_raw")].alias("event_type"),
        F.lit(None).cast("string").alias("page_url"),
        F.lit(None).cast("string").alias("referrer"),
        F.col("_c3").alias("item_id"),
        F.lit(None).cast("string").alias("category"),
        F.lit(None).cast("string").alias("brand"),
        F.lit(None).cast("double").alias("price"),
        F.when(n >= 5, F.col("_c4")).alias("transaction_id"),
        F.lit(None).cast("double").alias("revenue"),
        F.lit(None).cast("string").alias("user_agent"),
        F.lit(None).cast("int").alias("http_status"),
        first_reason(
            (n != 5, "wrong_columns"),
            (F.col("_c0").isNotNull() & F.col("event_ts").isNull(), "bad_timestamp"),
        ).alias("parse_reason"),
        F.when(n != 5, F.format_string("expected 5 comma-separated fields, got %d", n)).alias("parse_detail"),
        F.lit(None).cast("string").alias("filter_reason"),
    )
    return finish(out, lines)
