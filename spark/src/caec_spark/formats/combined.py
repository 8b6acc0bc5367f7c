"""Apache/Nginx combined log format (and common log format, which lacks referrer and user agent).

``host ident authuser [dd/MMM/yyyy:HH:mm:ss Z] "METHOD target PROTOCOL" status bytes "referrer" "ua"``.
The request path decides the event type (docs/formats.md); static asset requests are filtered, not
events. The client IP is only used, salted and hashed, for the visitor key and is never written.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from caec_spark.formats._common import blank_to_null, finish, finite_double, first_reason

# A quoted field: runs of plain characters and backslash escapes, every loop possessive. Java's regex
# engine recurses once per iteration of a group that holds an alternation (``(?:[^"\\]|\\.)*``), so
# that form overflowed the task's stack on a ~1.7 KB request and failed the whole run; a possessive
# loop over a group is matched iteratively, and possessive loops never backtrack into a field.
QUOTED = r'"([^"\\]*+(?:\\.[^"\\]*+)*+)"'
# Fields some servers append after the user agent (e.g. nginx's "$http_x_forwarded_for"): ignored.
EXTRA_QUOTED = r'(?: "[^"\\]*+(?:\\.[^"\\]*+)*+")*+'
LINE_RE = (
    rf"^(\S+) (\S+) (\S+) \[([^\]]+)\] {QUOTED} (\d{{3}}|-) (\S+)"
    rf"(?: {QUOTED} {QUOTED}{EXTRA_QUOTED})?\s*$"
)
STATIC_RE = r"(?i)\.(css|js|png|jpe?g|gif|svg|ico|webp|woff2?|ttf|eot|map)$"


SEP = "\u0001"


def _query_param(url: Column, name: str) -> Column:
    return blank_to_null(F.regexp_extract(url, rf"[?&]{name}=([^&#]*)", 1))


def event_type_for_path(path: Column) -> Column:
    """Event type from the request path; the site layout is the one our generator and docs describe."""
    return (
        F.when(path == "/robots.txt", "other")
        .when(path.rlike(r"^/product/[^/]+"), "product_view")
        .when(path.rlike(r"^/cart/add"), "add_to_cart")
        .when(path.rlike(r"^/cart/remove"), "remove_from_cart")
        .when(path.rlike(r"^/(checkout/complete|order/confirm)"), "purchase")
        .otherwise("page_view")
    )


def parse(lines: DataFrame) -> DataFrame:
    """Parse combined/common log lines into canonical events (one regex pass per line)."""
    raw = F.regexp_replace("raw", "\r$", "")
    # One regex evaluation: rewrite the line into its groups joined by \x01, then split.
    groups = F.regexp_replace(raw, LINE_RE, SEP.join(f"${i}" for i in range(1, 10)))
    s1 = lines.select("*", F.split(groups, SEP, -1).alias("_g"))
    s2 = s1.select(
        "*",
        (F.size("_g") == 9).alias("_matched"),
        *[F.get(F.col("_g"), i).alias(f"_g{i + 1}") for i in range(9)],
    )
    s3 = s2.select(
        "*",
        F.split(F.col("_g5"), " ").alias("_req"),
        F.try_to_timestamp(F.col("_g4"), F.lit("dd/MMM/yyyy:HH:mm:ss Z")).alias("event_ts"),
        blank_to_null(F.col("_g1")).alias("ip"),
        blank_to_null(F.col("_g3")).alias("_user"),
        blank_to_null(F.col("_g9")).alias("user_agent"),
    )
    s4 = s3.select(
        "*",
        F.when(F.size("_req") >= 2, F.get(F.col("_req"), 1))
        .otherwise(blank_to_null(F.col("_g5")))
        .alias("page_url"),
    )
    s5 = s4.select("*", F.regexp_extract("page_url", r"^([^?#]*)", 1).alias("_path"))
    s6 = s5.select("*", event_type_for_path(F.col("_path")).alias("event_type"))
    matched = F.col("_matched")
    etype = F.col("event_type")
    visitor = F.when(F.col("_user").isNotNull(), F.concat(F.lit("user:"), F.col("_user"))).otherwise(
        F.concat(F.lit("ipua:"), F.col("ip"), F.lit("|"), F.coalesce(F.col("user_agent"), F.lit("")))
    )
    out = s6.select(
        "*",
        F.col("_g4").alias("ts_text"),
        visitor.alias("visitor_key"),
        etype.alias("event_type_raw"),
        blank_to_null(F.col("_g8")).alias("referrer"),
        F.coalesce(
            blank_to_null(F.regexp_extract("_path", r"^/product/([^/?#]+)", 1)),
            _query_param(F.col("page_url"), "item"),
        ).alias("item_id"),
        F.lit(None).cast("string").alias("category"),
        F.lit(None).cast("string").alias("brand"),
        finite_double(_query_param(F.col("page_url"), "price")).alias("price"),
        F.when(etype == "purchase", _query_param(F.col("page_url"), "order")).alias("transaction_id"),
        F.when(etype == "purchase", finite_double(_query_param(F.col("page_url"), "revenue"))).alias(
            "revenue"
        ),
        F.col("_g6").try_cast("int").alias("http_status"),
        first_reason(
            (~matched, "parse_error"),
            (F.col("event_ts").isNull(), "bad_timestamp"),
        ).alias("parse_reason"),
        F.when(~matched, F.lit("not a combined/common log line")).alias("parse_detail"),
        F.when(matched & F.col("_path").rlike(STATIC_RE), F.lit("static_asset")).alias("filter_reason"),
    )
    return finish(out, lines)
