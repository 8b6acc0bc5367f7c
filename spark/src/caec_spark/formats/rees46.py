"""REES46 e-commerce CSV: ``event_time,event_type,product_id,category_id,category_code,brand,price,
user_id,user_session`` with ``event_time`` like ``2019-10-01 00:00:00 UTC``."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from caec_spark.formats._common import blank_to_null, finish, finite_double, first_reason

EVENT_MAP = {
    "view": "product_view",
    "cart": "add_to_cart",
    "remove_from_cart": "remove_from_cart",
    "purchase": "purchase",
}


def parse(lines: DataFrame) -> DataFrame:
    """Map REES46 rows; a purchase's revenue is its price (one row per purchased item)."""
    s1 = lines.select("*", F.split(F.regexp_replace("raw", "\r$", ""), ",", -1).alias("_f"))
    s2 = s1.select(
        "*",
        F.size("_f").alias("_n"),
        *[blank_to_null(F.get(F.col("_f"), i)).alias(f"_c{i}") for i in range(9)],
    )
    s3 = s2.select(
        "*",
        F.coalesce(
            F.try_to_timestamp("_c0", F.lit("yyyy-MM-dd HH:mm:ss z")), F.try_to_timestamp("_c0")
        ).alias("event_ts"),
        F.lower("_c1").alias("event_type_raw"),
        finite_double(F.col("_c6")).alias("price"),
    )
    mapping = F.create_map(*[x for kv in EVENT_MAP.items() for x in (F.lit(kv[0]), F.lit(kv[1]))])
    s4 = s3.select("*", mapping[F.col("event_type_raw")].alias("event_type"))
    n = F.col("_n")
    bad_price = F.col("_c6").isNotNull() & F.col("price").isNull()
    out = s4.select(
        "*",
        F.col("_c0").alias("ts_text"),
        F.concat(F.lit("rees46:"), F.col("_c7")).alias("visitor_key"),
        F.lit(None).cast("string").alias("ip"),
        F.lit(None).cast("string").alias("page_url"),
        F.lit(None).cast("string").alias("referrer"),
        F.col("_c2").alias("item_id"),
        F.coalesce("_c4", "_c3").alias("category"),
        F.col("_c5").alias("brand"),
        F.lit(None).cast("string").alias("transaction_id"),
        F.when(F.col("event_type") == "purchase", F.col("price")).alias("revenue"),
        F.lit(None).cast("string").alias("user_agent"),
        F.lit(None).cast("int").alias("http_status"),
        first_reason(
            (n != 9, "wrong_columns"),
            (F.col("_c0").isNotNull() & F.col("event_ts").isNull(), "bad_timestamp"),
            (bad_price, "bad_value"),
        ).alias("parse_reason"),
        F.when(n != 9, F.format_string("expected 9 comma-separated fields, got %d", n))
        .when(bad_price, F.lit("price is not a finite number"))
        .alias("parse_detail"),
        F.lit(None).cast("string").alias("filter_reason"),
    )
    return finish(out, lines)
