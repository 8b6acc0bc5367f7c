"""Per-event enrichment: pseudonymous visitor key, URL parts, device and crawler user agents."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


@lru_cache(maxsize=1)
def crawler_patterns() -> tuple[str, ...]:
    """The maintained crawler UA list shipped in the package (data/crawler_patterns.txt)."""
    text = resources.files("caec_spark").joinpath("data/crawler_patterns.txt").read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            out.append(line)
    return tuple(out)


def match_crawler(ua: str | None) -> str | None:
    """Pure-Python twin of :func:`crawler_pattern_col` (first matching pattern), for tests and the generator."""
    if not ua:
        return None
    low = ua.lower()
    for p in crawler_patterns():
        if p in low:
            return p
    return None


def crawler_pattern_col(ua: Column) -> Column:
    """The first crawler pattern contained in the (lower-cased) user agent, else null."""
    # One regex pre-filter: most user agents match no pattern and skip the ordered search entirely
    # (the ordered CASE keeps "first pattern in list order", the twin of match_crawler).
    low = F.lower(ua)
    out: Column = F.lit(None).cast("string")
    for p in reversed(crawler_patterns()):
        out = F.when(F.instr(low, p) > 0, F.lit(p)).otherwise(out)
    any_pattern = "|".join(re.escape(p) for p in crawler_patterns())
    return F.when(ua.isNull() | ~low.rlike(any_pattern), F.lit(None).cast("string")).otherwise(out)


# Device classes in the order they are tested (first match wins); also used by caec_spark.duck.
DEVICE_PATTERNS = (
    ("tablet", r"(?i)ipad|tablet|kindle|silk/|sm-t\d|nexus (7|9|10)|playbook"),
    ("mobile", r"(?i)mobi|iphone|ipod|android|windows phone|opera mini|blackberry"),
    ("desktop", r"(?i)windows nt|macintosh|mac os x|x11|linux|cros"),
)
# The path of a page URL (group 1), and a query parameter's value ({name}: the parameter).
PAGE_PATH_RE = r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)?([^?#]*)"
URL_PARAM_RE = r"[?&]{name}=([^&#]*)"


def device_type_col(ua: Column, crawler: Column) -> Column:
    """desktop / mobile / tablet / bot / unknown from the user agent (docs/sessionization.md)."""
    out = F.when(crawler.isNotNull(), "bot").when(ua.isNull(), "unknown")
    for device, pattern in DEVICE_PATTERNS:
        out = out.when(ua.rlike(pattern), device)
    return out.otherwise("unknown")


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


def user_agent_classes(df: DataFrame) -> DataFrame:
    """One row per distinct user agent (null included) with its crawler pattern and device type.

    Why a lookup table: logs repeat a small set of user agents (tens to a few hundred thousand distinct
    in millions of lines), and matching the crawler list per event was most of the job's CPU (23 s of
    regex per million events). Classifying each distinct user agent once and joining is exact.
    """
    uas = df.select("user_agent").distinct()
    crawler = crawler_pattern_col(F.col("user_agent"))
    return uas.select("user_agent", crawler.alias("crawler")).select(
        "user_agent", "crawler", device_type_col(F.col("user_agent"), F.col("crawler")).alias("device_type")
    )


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


def enrich(df: DataFrame, salt: str) -> DataFrame:
    """Add visitor_id, page_path, utm_*, device_type, crawler pattern, event_date, is_late.

    Drops the clear visitor key and IP.
    """
    path = F.regexp_extract(F.col("page_url"), PAGE_PATH_RE, 1)
    event_date = F.to_date("event_ts")
    # Broadcast: the distinct user agents are few next to the events (see user_agent_classes); a
    # null-safe join keeps events without a user agent.
    ua = F.broadcast(user_agent_classes(df).withColumnRenamed("user_agent", "_ua"))
    joined = df.join(ua, df["user_agent"].eqNullSafe(ua["_ua"]), "left").drop("_ua")
    return (
        joined.withColumn("visitor_id", visitor_hash(F.col("visitor_key"), salt))
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
