"""Session-level bot rules on a small web log: the poller rule next to crawler user agents and humans."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from helpers import START, read, run_job
from pyspark.sql import SparkSession

from caec_spark.config import RulesConfig

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def _line(ip: str, t: dt.datetime, path: str, ua: str) -> str:
    return f'{ip} - - [{t:%d/%b/%Y:%H:%M:%S} +0000] "GET {path} HTTP/1.1" 200 512 "-" "{ua}"'


def _log(start: dt.datetime) -> list[str]:
    lines = []
    # a feed reader with a browser-like user agent polling one feed every 2 minutes (364 polls were the
    # top "human" page of a real log), with one other request among them
    for i in range(24):
        lines.append(
            _line("192.0.2.1", start + dt.timedelta(minutes=2 * i), "/blog/feed/", "Liferea/1.12.6 (Linux)")
        )
    lines.append(_line("192.0.2.1", start + dt.timedelta(minutes=49), "/blog/", "Liferea/1.12.6 (Linux)"))
    # a human reading twelve pages, and one who reloads a page five times
    for i in range(12):
        lines.append(_line("192.0.2.2", start + dt.timedelta(minutes=i), f"/article/{i % 6}", DESKTOP))
    for i in range(5):
        lines.append(_line("192.0.2.3", start + dt.timedelta(minutes=i), "/", DESKTOP))
    # a feed reader the crawler list knows, polling slower than the session timeout (one event a session)
    for i in range(3):
        lines.append(
            _line(
                "192.0.2.4",
                start + dt.timedelta(hours=i),
                "/feed/",
                "Tiny Tiny RSS/1.15.3 (http://tt-rss.org/)",
            )
        )
    return lines


def test_pollers_and_feed_readers_are_bots_humans_are_not(spark: SparkSession, tmp_path: Path) -> None:
    day = tmp_path / "raw" / f"dt={START.isoformat()}"
    day.mkdir(parents=True)
    (day / "access.log").write_text("\n".join(_log(dt.datetime(2026, 11, 1, 8))) + "\n")
    res = run_job(spark, tmp_path / "raw", tmp_path / "out", "combined", end=START + dt.timedelta(days=1))
    sessions = read(spark, tmp_path / "out", "sessions").collect()
    by_reason = sorted((s.event_count, s.bot_reason, s.device_type) for s in sessions)
    assert by_reason == [
        (1, "ua:Tiny Tiny RSS", "bot"),
        (1, "ua:Tiny Tiny RSS", "bot"),
        (1, "ua:Tiny Tiny RSS", "bot"),
        (5, None, "desktop"),
        (12, None, "desktop"),
        (25, "poller", "desktop"),
    ]
    assert res.counts["bot"] == 28 and res.counts["human"] == 17
    # the rule's parameters are rules config: a stricter share lets the feed reader through
    strict = RulesConfig(bot_poll_min_share=1.0)
    res2 = run_job(
        spark, tmp_path / "raw", tmp_path / "out2", "combined", end=START + dt.timedelta(days=1), rules=strict
    )
    assert res2.counts["bot"] == 3
