"""Session records and session-level classification (bots, channel) from sessionized events."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window, WindowSpec
from pyspark.sql import functions as F

from caec_spark.config import RulesConfig

SEARCH_HOSTS = r"(^|\.)(google|bing|duckduckgo|yahoo|yandex|baidu|ecosia|qwant|naver|seznam|startpage)\."
SOCIAL_HOSTS = (
    r"(^|\.)(facebook|fb|instagram|t\.co|twitter|x\.com|linkedin|lnkd|pinterest|reddit|tiktok|youtube|"
    r"vk|whatsapp|telegram|snapchat)(\.|$)"
)
PAID_MEDIUMS = ("cpc", "ppc", "paid", "paidsearch", "paid_search", "sem")
SOCIAL_MEDIUMS = ("social", "social-network", "social_media", "sm", "paid_social")
DISPLAY_MEDIUMS = ("display", "banner", "cpm", "affiliate")
EMAIL_MEDIUMS = ("email", "e-mail", "newsletter")

SESSION_COLUMNS = (
    "session_id",
    "visitor_id",
    "session_index",
    "session_start",
    "session_end",
    "session_date",
    "duration_s",
    "event_count",
    "page_view_count",
    "entry_page",
    "exit_page",
    "landing_referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "channel",
    "device_type",
    "is_bounce",
    "is_converted",
    "order_count",
    "revenue",
    "is_bot",
    "bot_reason",
    "rules_version",
    "run_id",
)


# The host of a referrer URL (group 1); also used by caec_spark_dev.duck.
REFERRER_HOST_RE = r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/]*@)?([^/:?#]+)"


def referrer_host(referrer: Column) -> Column:
    return F.lower(F.regexp_extract(referrer, REFERRER_HOST_RE, 1))


def channel_col(referrer: Column, utm_source: Column, utm_medium: Column) -> Column:
    """Marketing channel of a session's first event; rules in docs/sessionization.md (first match wins)."""
    medium = F.lower(utm_medium)
    host = referrer_host(referrer)
    has_utm = utm_source.isNotNull() | utm_medium.isNotNull()
    return (
        F.when(medium.isin(*PAID_MEDIUMS), "paid_search")
        .when(medium.isin(*EMAIL_MEDIUMS), "email")
        .when(medium.isin(*SOCIAL_MEDIUMS), "social")
        .when(medium.isin(*DISPLAY_MEDIUMS), "display")
        .when(medium == "organic", "organic_search")
        .when(has_utm, "other")
        .when(referrer.isNull() | (host == ""), "direct")
        .when(host.rlike(SEARCH_HOSTS), "organic_search")
        .when(host.rlike(SOCIAL_HOSTS), "social")
        .otherwise("referral")
    )


def session_window() -> WindowSpec:
    """All events of one session (a function: a WindowSpec needs an active SparkContext)."""
    return Window.partitionBy("visitor_id", "session_id")


def with_session_bots(events: DataFrame, rules: RulesConfig, *also: Column) -> DataFrame:
    """Add is_bot and bot_reason (``ua:<evidence>`` > ``robots_txt`` > ``rate`` > ``poller``) per session.

    Windows over (visitor_id, session_id), not a group-by and join: the events are partitioned by
    visitor after sessionizing, so this needs no shuffle, and the second window (same partitioning and
    order) no second sort. ``also``: more columns over :func:`session_window`, computed in the first pass.
    """
    w = session_window()
    ts = F.unix_micros("event_ts")
    ua = F.min_by("crawler", F.when(F.col("crawler").isNotNull(), F.col("seq_in_session"))).over(w)
    robots = F.max((F.col("page_path") == "/robots.txt").cast("int")).over(w)
    n = F.count(F.lit(1)).over(w)
    dur = (F.max(ts).over(w) - F.min(ts).over(w)) / 1e6
    top_path = F.mode("page_path").over(w)
    g = events.select(
        "*",
        ua.alias("_ua"),
        robots.alias("_robots"),
        n.alias("_n"),
        dur.alias("_dur"),
        top_path.alias("_top_path"),
        *also,
    )
    # events on the most requested path (a tie picks any of the paths: the count is the same)
    g = g.withColumn("_top_n", F.count(F.when(F.col("page_path") == F.col("_top_path"), 1)).over(w))
    reason = _bot_reason(rules)
    return (
        g.withColumn("is_bot", reason.isNotNull())
        .withColumn("bot_reason", reason)
        .drop("_ua", "_robots", "_n", "_dur", "_top_path", "_top_n")
    )


def _bot_reason(rules: RulesConfig) -> Column:
    """The reason from per-session _ua (first crawler evidence), _robots, _n (events), _dur (seconds)
    and _top_n (events on the most requested page path)."""
    per_minute = F.col("_n") / (F.greatest(F.col("_dur"), F.lit(1.0)) / 60.0)
    rate = (F.col("_n") >= rules.bot_min_events) & (per_minute > rules.bot_max_events_per_minute)
    robots = F.lit(rules.bot_robots_txt) & (F.coalesce(F.col("_robots"), F.lit(0)) == 1)
    # A feed reader or monitor polls one URL: many requests, nearly all for the same page path.
    poller = (F.col("_n") >= rules.bot_poll_min_events) & (
        F.col("_top_n") >= F.lit(rules.bot_poll_min_share) * F.col("_n")
    )
    return (
        F.when(F.col("_ua").isNotNull(), F.concat(F.lit("ua:"), F.col("_ua")))
        .when(robots, F.lit("robots_txt"))
        .when(rate, F.lit("rate"))
        .when(poller, F.lit("poller"))
    )


def build_sessions(events: DataFrame, rules: RulesConfig, run_id: str) -> DataFrame:
    """One row per session from its complete set of events (events already carry is_bot/bot_reason)."""
    is_page = F.col("event_type").isin("page_view", "product_view")
    page_key = F.coalesce(F.col("page_path"), F.concat(F.lit("item:"), F.col("item_id")))
    page_seq = F.when(is_page, F.col("seq_in_session"))
    seq = F.col("seq_in_session")
    is_purchase = F.col("event_type") == "purchase"
    # Grouped by (visitor_id, session_id) in that order: the cached events are partitioned by visitor and
    # sorted by exactly these keys (the bots window's order), so this aggregate needs no shuffle or sort.
    s = events.groupBy("visitor_id", "session_id").agg(
        F.max("session_index").alias("session_index"),
        F.min("event_ts").alias("session_start"),
        F.max("event_ts").alias("session_end"),
        F.count(F.lit(1)).cast("int").alias("event_count"),
        F.sum(is_page.cast("int")).cast("int").alias("page_view_count"),
        F.min_by(page_key, page_seq).alias("entry_page"),
        F.max_by(page_key, page_seq).alias("exit_page"),
        F.min_by("referrer", seq).alias("landing_referrer"),
        F.min_by("utm_source", seq).alias("utm_source"),
        F.min_by("utm_medium", seq).alias("utm_medium"),
        F.min_by("utm_campaign", seq).alias("utm_campaign"),
        F.min_by("device_type", seq).alias("device_type"),
        F.max(is_purchase.cast("int")).alias("_purchases"),
        # size(collect_set): the same count as count_distinct (both skip nulls), but count_distinct would
        # plan a second aggregation level with two more shuffles and sorts of every event.
        F.size(F.collect_set(F.when(is_purchase, F.coalesce("transaction_id", "event_id"))))
        .cast("int")
        .alias("order_count"),
        F.sum(F.when(is_purchase, F.col("revenue")).otherwise(0.0)).alias("revenue"),
        F.max("is_bot").alias("is_bot"),
        F.max("bot_reason").alias("bot_reason"),
    )
    return s.select(
        "session_id",
        "visitor_id",
        "session_index",
        "session_start",
        "session_end",
        F.to_date("session_start").alias("session_date"),
        ((F.unix_micros("session_end") - F.unix_micros("session_start")) / 1e6).alias("duration_s"),
        "event_count",
        "page_view_count",
        "entry_page",
        "exit_page",
        "landing_referrer",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        channel_col(F.col("landing_referrer"), F.col("utm_source"), F.col("utm_medium")).alias("channel"),
        "device_type",
        ((F.col("event_count") == 1) & (F.col("page_view_count") == 1)).alias("is_bounce"),
        (F.col("_purchases") == 1).alias("is_converted"),
        "order_count",
        F.round("revenue", 2).alias("revenue"),
        "is_bot",
        "bot_reason",
        F.lit(rules.rules_version).alias("rules_version"),
        F.lit(run_id).alias("run_id"),
    )
