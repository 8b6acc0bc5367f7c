"""Device, crawler, channel and visitor-key rules on tiny frames."""

from __future__ import annotations

import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from caec_spark.transforms.enrich import mask_ips, user_agent_classes, visitor_hash
from caec_spark.transforms.sessions import channel_col
from caec_spark.user_agents import CONTACT_URL, SPIDER, classify

UAS = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0": "desktop",
    "Mozilla/5.0 (Windows NT 6.1; rv:42.0) Gecko/20100101 Firefox/42.0": "desktop",
    "Mozilla/5.0 (X11; Mageia 5; Linux x86_64; rv:52.0) Gecko/20100101 Firefox/52.0": "desktop",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148": "mobile",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36": "mobile",
    "Mozilla/5.0 (Linux; Android 6.0; ALE-L21 Build/HuaweiALE-L21) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/66.0.3359.158 Mobile Safari/537.36": "mobile",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X)": "tablet",
    "Mozilla/5.0 (Linux; Android 9; SM-T820) AppleWebKit/537.36 Chrome/70 Safari/537.36": "tablet",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)": "bot",
    "python-requests/2.32.3": "bot",
    "SomethingElse/1.0": "unknown",
}
# Feed readers and archivers that real logs showed being counted as humans (issue #17).
FEED_READERS_AND_ARCHIVERS = {
    "UniversalFeedParser/5.0.1 +http://feedparser.org/": CONTACT_URL,
    "Tiny Tiny RSS/1.15.3 (http://tt-rss.org/)": "Tiny Tiny RSS",
    "FeedBurner/1.0 (http://www.FeedBurner.com)": "FeedBurner",
    "Mozilla/5.0 (compatible; archive.org_bot +http://www.archive.org/details/archive.org_bot)": r"archive\.org_bot",
    "Mozilla/5.0 (compatible; Ezooms/1.0; ezooms.bot@gmail.com)": "ezooms",
}


def test_device_and_crawler_rules(spark: SparkSession) -> None:
    df = spark.createDataFrame([(k,) for k in UAS] + [(None,)], "user_agent string")
    got = {r.user_agent: (r.device_type, r.crawler) for r in user_agent_classes(df).collect()}
    assert len(got) == len(UAS) + 1  # one row per distinct user agent, null included
    for ua, device in UAS.items():
        assert got[ua] == tuple(classify(ua)[::-1]), ua  # Spark runs the same classifier
        assert got[ua][0] == device, (ua, got[ua])
    assert got[None] == ("unknown", None)
    assert got["python-requests/2.32.3"][1] == "python-requests"
    assert (
        got["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"][1] == r"Googlebot\/"
    )


def test_feed_readers_and_archivers_are_crawlers() -> None:
    for ua, evidence in FEED_READERS_AND_ARCHIVERS.items():
        assert classify(ua) == (evidence, "bot"), ua


def test_a_huge_hostile_user_agent_is_classified_quickly() -> None:
    # "Current[\\s\\S]*RSS Reader" in the crawler list scans quadratically without the length cap
    started = time.monotonic()
    assert classify("Current " * 100_000) == (None, "unknown")
    assert time.monotonic() - started < 10


def test_ua_parser_spiders_are_crawlers() -> None:
    # a spider the crawler list lacks but ua-parser knows (a "bot" token without a contact URL)
    assert classify("Mozilla/5.0 (compatible; SomeSiteBot/2.0)") == (SPIDER, "bot")


def test_channel_rules(spark: SparkSession) -> None:
    cases = [
        (None, None, None, "direct"),
        ("https://www.google.com/", None, None, "organic_search"),
        ("https://www.google.com/", "google", "cpc", "paid_search"),
        ("https://www.facebook.com/", None, None, "social"),
        (None, "newsletter", "email", "email"),
        ("https://blog.example.org/x", None, None, "referral"),
        (None, "partner", "banner", "display"),
        (None, "x", "weird", "other"),
    ]
    df = spark.createDataFrame(cases, "ref string, src string, med string, expected string")
    rows = df.select("expected", channel_col(F.col("ref"), F.col("src"), F.col("med")).alias("got")).collect()
    assert [(r.expected, r.got) for r in rows if r.expected != r.got] == []


def test_visitor_hash_is_salted_and_ips_masked(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("ipua:192.0.2.1|ua", "GET from 192.0.2.1 and 2001:db8::1 ok")], "k string, raw string"
    )
    a = df.select(visitor_hash(F.col("k"), "s1").alias("h"), mask_ips(F.col("raw")).alias("m")).collect()[0]
    b = df.select(visitor_hash(F.col("k"), "s2").alias("h")).collect()[0]
    assert a.h != b.h and len(a.h) == 32 and "192.0.2" not in a.h
    assert "192.0.2.1" not in a.m and "2001:db8" not in a.m
