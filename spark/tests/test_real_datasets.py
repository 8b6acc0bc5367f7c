"""Real public logs from ``<repo root>/../shared/datasets`` (see its README): each runs through the job and
its counts reconcile against what the files hold, counted here independently of the job. Skips with a
message when the folder is absent."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import read, run_job
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from caec_spark.formats.combined import STATIC_RE
from caec_spark.job import RunResult

DATASETS = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets"
START, END = dt.date(1995, 1, 1), dt.date(2030, 1, 1)  # real data spans its own dates: a wide window


@pytest.fixture(scope="module")
def datasets() -> Path:
    if not DATASETS.is_dir():
        pytest.skip(
            f"{DATASETS} is absent: the real-log tests need the shared datasets beside the repository"
        )
    return DATASETS


def _lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n")


def _run(spark: SparkSession, src: Path, out: Path, fmt: str) -> RunResult:
    res = run_job(spark, src, out, fmt, start=START, end=END)
    c = res.counts
    assert res.manifest["reconciled"]
    assert c["read"] == c["valid"] + c["quarantined"] + c["filtered"]
    assert c["valid"] == c["human"] + c["bot"]
    assert c["sessions"] > 0
    return res


def test_retailrocket(spark: SparkSession, tmp_path: Path, datasets: Path) -> None:
    src = datasets / "retailrocket" / "events.csv"
    rows = _lines(src)[1:]  # after the header
    res = _run(spark, src, tmp_path / "out", "retailrocket")
    assert res.counts["read"] == len(rows) and res.counts["valid"] == len(rows)  # every row is an event
    ev = read(spark, tmp_path / "out", "events")
    purchases = sum(1 for r in rows if r.split(b",")[2] == b"transaction")
    assert ev.where(F.col("event_type") == "purchase").count() == purchases


def test_rees46_crlf_and_a_truncated_last_row(spark: SparkSession, tmp_path: Path, datasets: Path) -> None:
    src = datasets / "rees46" / "2019-Oct.csv"
    rows = _lines(src)[1:]
    assert rows[0].endswith(b"\r") and not src.read_bytes().endswith(b"\n")  # what the test is about
    res = _run(spark, src, tmp_path / "out", "rees46")
    c = res.counts
    assert c["read"] == len(rows)
    # the cut-off last row (8 of 9 fields) is the one bad record; CRLF leaves no trace in the values
    assert c["quarantined_by_reason"] == {"wrong_columns": 1}
    q = read(spark, tmp_path / "out", "quarantine").collect()
    assert [r.source_line for r in q] == [len(rows) + 1]
    ev = read(spark, tmp_path / "out", "events")
    assert ev.where(F.col("visitor_id").contains("\r") | F.col("item_id").contains("\r")).count() == 0


def _weblog_rows(path: Path) -> Iterator[tuple[str, str]]:
    """(request path, user agent) of each line, split by quotes (not the job's regex)."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split('"')
        yield parts[1].split(" ")[1].split("?")[0], parts[5]


def test_weblogs_with_an_extra_field_and_real_crawlers(
    spark: SparkSession, tmp_path: Path, datasets: Path
) -> None:
    src = datasets / "weblogs" / "access.log"
    rows = list(_weblog_rows(src))
    static = sum(1 for p, _ in rows if re.search(STATIC_RE, p))
    res = _run(spark, src, tmp_path / "out", "combined")
    c = res.counts
    # every line parses despite the extra quoted field after the user agent
    assert c["read"] == len(rows) and c["quarantined"] == 0, c["quarantined_by_reason"]
    assert c["filtered_by_reason"] == {"static_asset": static}
    assert c["valid"] == len(rows) - static
    ev = read(spark, tmp_path / "out", "events")
    sessions = read(spark, tmp_path / "out", "sessions")
    # the archiver (and the search crawlers) are bots, with the crawler list's evidence
    archiver = (
        ev.where(F.col("user_agent").contains("archive.org_bot")).select("is_bot", "bot_reason").distinct()
    )
    assert archiver.collect() == [(True, r"ua:archive\.org_bot")]
    for crawler in ("AhrefsBot", "bingbot", "Googlebot"):
        assert ev.where(F.col("user_agent").contains(crawler) & ~F.col("is_bot")).count() == 0, crawler
    # a sensible bot share, and human devices known (727 of 1,962 sessions were "unknown" with the old rules)
    assert 0.05 < c["bot_sessions"] / c["sessions"] < 0.6, c
    humans = sessions.where(~F.col("is_bot"))
    unknown = humans.where(F.col("device_type") == "unknown").count()
    assert unknown < 0.05 * humans.count(), unknown
