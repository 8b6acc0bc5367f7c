"""CAEC canonical events as JSON lines (one object per line), the generator's default format.

Keys: ``event_ts`` (ISO-8601, offset or Z; naive means UTC), ``visitor_id`` (client/cookie id) or ``ip``
+ ``user_agent``, ``event_type`` (canonical names), ``page_url``, ``referrer``, ``item_id``, ``category``,
``brand``, ``price``, ``transaction_id``, ``revenue``, ``http_status``. Unknown keys are ignored.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from caec_spark.formats._common import ITEM_COLUMNS, blank_to_null, finish, finite_double, first_reason

FIELDS = (
    "event_ts",
    "visitor_id",
    "ip",
    "user_agent",
    "event_type",
    "page_url",
    "referrer",
    *ITEM_COLUMNS,
    "http_status",
)
_SCHEMA = "struct<" + ",".join(f"{f}:string" for f in FIELDS) + ",_corrupt_record:string>"


def parse(lines: DataFrame) -> DataFrame:
    """Parse JSON objects; every value is read as text first so a wrong type is a clear ``bad_value``.

    Built in stages (one select per step) so Spark never duplicates the JSON parse or the cleaning
    expressions inside one huge generated method.
    """
    j = F.from_json(
        F.col("raw"), _SCHEMA, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt_record"}
    )
    s1 = lines.select("*", j.alias("_j"))
    s2 = s1.select(
        *lines.columns,
        *[blank_to_null(F.col(f"_j.{f}")).alias(f"_{f}") for f in FIELDS],
        (
            F.col("_j").isNull()
            | F.col("_j._corrupt_record").isNotNull()
            | ~F.ltrim(F.col("raw")).startswith("{")
        ).alias("_broken"),
    )
    s3 = s2.select(
        "*",
        F.try_to_timestamp("_event_ts").alias("event_ts"),
        finite_double(F.col("_price")).alias("price"),
        finite_double(F.col("_revenue")).alias("revenue"),
        F.col("_http_status").try_cast("int").alias("http_status"),
        F.lower("_event_type").alias("event_type"),
    )
    bad_value = (
        (F.col("_price").isNotNull() & F.col("price").isNull())
        | (F.col("_revenue").isNotNull() & F.col("revenue").isNull())
        | (F.col("_http_status").isNotNull() & F.col("http_status").isNull())
    )
    visitor = F.when(F.col("_visitor_id").isNotNull(), F.concat(F.lit("id:"), F.col("_visitor_id"))).when(
        F.col("_ip").isNotNull(),
        F.concat(F.lit("ipua:"), F.col("_ip"), F.lit("|"), F.coalesce(F.col("_user_agent"), F.lit(""))),
    )
    s4 = s3.select(
        "*",
        F.col("_event_ts").alias("ts_text"),
        visitor.alias("visitor_key"),
        F.col("_ip").alias("ip"),
        F.col("event_type").alias("event_type_raw"),
        F.col("_page_url").alias("page_url"),
        F.col("_referrer").alias("referrer"),
        F.col("_item_id").alias("item_id"),
        F.col("_category").alias("category"),
        F.col("_brand").alias("brand"),
        F.col("_transaction_id").alias("transaction_id"),
        F.col("_user_agent").alias("user_agent"),
        first_reason(
            (F.col("_broken"), "parse_error"),
            (F.col("_event_ts").isNotNull() & F.col("event_ts").isNull(), "bad_timestamp"),
            (bad_value, "bad_value"),
        ).alias("parse_reason"),
        F.when(F.col("_broken"), F.lit("not a JSON object"))
        .when(bad_value, F.lit("price/revenue/http_status is not a finite number in range"))
        .alias("parse_detail"),
        F.lit(None).cast("string").alias("filter_reason"),
    )
    return finish(s4, lines)
