"""Device, crawler, channel and visitor-key rules on tiny frames."""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from caec_spark.transforms.enrich import (
    crawler_pattern_col,
    device_type_col,
    mask_ips,
    match_crawler,
    visitor_hash,
)
from caec_spark.transforms.sessions import channel_col

UAS = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0": "desktop",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148": "mobile",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36": "mobile",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X)": "tablet",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)": "bot",
    "python-requests/2.32.3": "bot",
    "SomethingElse/1.0": "unknown",
}


def test_device_and_crawler_rules(spark: SparkSession) -> None:
    df = spark.createDataFrame([(k,) for k in UAS] + [(None,)], "ua string")
    crawler = crawler_pattern_col(F.col("ua"))
    got = {
        r.ua: (r.device, r.crawler)
        for r in df.select(
            "ua", device_type_col(F.col("ua"), crawler).alias("device"), crawler.alias("crawler")
        ).collect()
    }
    for ua, device in UAS.items():
        assert got[ua][0] == device, ua
        assert got[ua][1] == match_crawler(ua)
    assert got[None] == ("unknown", None)
    assert got["python-requests/2.32.3"][1] == "python-requests"


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
