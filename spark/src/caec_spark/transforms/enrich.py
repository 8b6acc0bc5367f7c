"""Per-event enrichment: pseudonymous visitor key, URL parts, device and crawler user agents."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from caec_spark.user_agents import UA_CLASS_SCHEMA, classify_arrow

# The path of a page URL (group 1), and a query parameter's value ({name}: the parameter).
PAGE_PATH_RE = r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)?([^?#]*)"
URL_PARAM_RE = r"[?&]{name}=([^&#]*)"


def visitor_hash(key: Column, salt: str) -> Column:
    """Salted SHA-256 of the raw visitor key (user id, or IP + user agent), 32 hex chars.

    The clear key (and any IP inside it) never leaves this expression; see docs/privacy.md.
    """
    return F.substring(F.sha2(F.concat(F.lit(salt), F.lit("|"), key), 256), 1, 32)


IPV4_RE = r"\b(?:\d{1,3}\.){3}\d{1,3}\b"
IPV6_RE = (
    r"\b(?:[0-9A-Fa-f]{1,4}:){2,7}(?::|[0-9A-Fa-f]{1,4})\b|\b[0-9A-Fa-f]{1,4}::(?:[0-9A-Fa-f]{1,4}:?){0,6}\b"
)


def mask_ips(text: Column) -> Column:
    """Replace anything that looks like an IPv4/IPv6 address; quarantine raw text is never written with IPs."""
    return F.regexp_replace(F.regexp_replace(text, IPV4_RE, "<ip>"), IPV6_RE, "<ip>")


def _param(url: Column, name: str) -> Column:
    # instr first: most URLs carry no such parameter and skip the regex
    v = F.regexp_extract(url, URL_PARAM_RE.format(name=name), 1)
    return F.when((F.instr(url, f"{name}=") == 0) | (v == ""), F.lit(None).cast("string")).otherwise(v)


def user_agent_classes(df: DataFrame, distinct: DataFrame | None = None) -> DataFrame:
    """One row per distinct user agent (null included) with its crawler evidence and device type.

    Why a lookup table: logs repeat a small set of user agents (tens to a few hundred thousand distinct
    in millions of lines), and classifying per event was most of the job's CPU. The classifier
    (:mod:`caec_spark.user_agents`: crawler-user-agents and ua-parser) runs in Python over the distinct
    values only; joining its result back is exact. ``distinct``: ``df``'s distinct user agents when
    already known (one ``user_agent`` column), so ``df`` is not read for them.
    """
    values = df.select("user_agent").distinct() if distinct is None else distinct
    return values.mapInArrow(classify_arrow, UA_CLASS_SCHEMA)


def with_user_agent_classes(df: DataFrame, distinct: DataFrame | None = None) -> DataFrame:
    """``df`` plus ``crawler`` and ``device_type`` of its ``user_agent`` (a broadcast lookup join).

    Broadcast: the distinct user agents are few next to the events; null-safe, so events without a
    user agent are kept. ``distinct``: as for :func:`user_agent_classes`.
    """
    ua = F.broadcast(user_agent_classes(df, distinct).withColumnRenamed("user_agent", "_ua"))
    return df.join(ua, df["user_agent"].eqNullSafe(ua["_ua"]), "left").drop("_ua")


def event_id_col() -> Column:
    """Deterministic event id: hash of the file name, its day, the line number and the raw line."""
    return F.substring(
        F.sha2(
            F.concat_ws(
                "|",
                # the file name: substring_index, not a regex ("([^/]*)$" rescans the path from every
                # position and was the hottest frame of the parse stage)
                F.substring_index("source_file", "/", -1),
                F.col("file_dt"),
                F.col("source_line").cast("string"),
                F.col("raw"),
            ),
            256,
        ),
        1,
        32,
    )


def enrich(df: DataFrame, salt: str, user_agents: DataFrame | None = None) -> DataFrame:
    """Add visitor_id, page_path, utm_*, device_type, crawler pattern, event_date, is_late.

    Drops the clear visitor key and IP. ``user_agents``: ``df``'s distinct user agents when already known
    (:func:`user_agent_classes`).
    """
    path = F.regexp_extract(F.col("page_url"), PAGE_PATH_RE, 1)
    event_date = F.to_date("event_ts")
    return (
        with_user_agent_classes(df, user_agents)
        .withColumn("visitor_id", visitor_hash(F.col("visitor_key"), salt))
        .withColumn(
            "page_path", F.when(F.col("page_url").isNotNull(), F.when(path == "", "/").otherwise(path))
        )
        .withColumn("utm_source", _param(F.col("page_url"), "utm_source"))
        .withColumn("utm_medium", _param(F.col("page_url"), "utm_medium"))
        .withColumn("utm_campaign", _param(F.col("page_url"), "utm_campaign"))
        .withColumn("event_date", event_date)
        .withColumn("is_late", F.coalesce(F.col("file_dt").cast("date") > event_date, F.lit(False)))
        .withColumn(
            "revenue",
            F.when(F.col("event_type") == "purchase", F.coalesce("revenue", F.lit(0.0))).otherwise(0.0),
        )
        .drop("visitor_key", "ip")
    )
