"""Erasing a data subject from staging: gone everywhere, equal to a run without them, not brought back by
a re-run, idempotent, and the ledger holds no clear key (real Spark, real job, generated logs)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from helpers import START, gen, read, run_job
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from caec_spark import erasure
from caec_spark.config import DayWindow, RunConfig
from caec_spark.job import ReconciliationError
from caec_spark.pointer import POINTER_NAME, parse
from caec_spark.transforms.enrich import visitor_hash

SUBJECT = "subject-4711"
SALT = "test-salt"
DAY2 = START + dt.timedelta(days=1)


def _subject_lines(day: dt.date) -> list[str]:
    """A few events of the subject (one session runs past midnight into the next day), plus two records
    the job quarantines: a truncated line (no parsed key: found by its text) and a future timestamp."""
    ts = [dt.datetime(day.year, day.month, day.day, 23, 40) + dt.timedelta(minutes=7 * i) for i in range(4)]
    lines = [
        json.dumps(
            {
                "event_ts": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "visitor_id": SUBJECT,
                "event_type": "page_view",
                "page_url": f"https://shop.example/p/{i}",
                "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
            }
        )
        for i, t in enumerate(ts)
    ]
    lines.append(f'{{"event_ts":"{day}T10:00:00Z","visitor_id":"{SUBJECT}","event_type":"page_v')
    lines.append(
        json.dumps({"event_ts": "2031-01-01T00:00:00Z", "visitor_id": SUBJECT, "event_type": "page_view"})
    )
    return lines


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gen(tmp_path_factory.mktemp("raw"), "jsonl", events=2000, days=3)


@pytest.fixture(scope="module")
def raw_with_subject(raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same logs plus one extra file per day holding only the subject (the others' lines, files and
    event ids are unchanged, so a run without the subject is the run over ``raw``)."""
    out = tmp_path_factory.mktemp("raw_subject")
    for day_dir in sorted(p for p in raw.iterdir() if p.name.startswith("dt=")):
        target = out / day_dir.name
        target.mkdir()
        for f in day_dir.iterdir():
            (target / f.name).symlink_to(f)
        day = dt.date.fromisoformat(day_dir.name[3:])
        if day < START + dt.timedelta(days=2):
            (target / "part-subject.jsonl").write_text("\n".join(_subject_lines(day)) + "\n")
    return out


def _cfg(out: Path, run_id: str) -> RunConfig:
    return RunConfig(
        input_uri="",
        fmt="jsonl",
        output_uri=str(out),
        window=DayWindow(START, DAY2),
        run_id=run_id,
        salt=SALT,
    )


def _erase(spark: SparkSession, out: Path, n: int) -> dict[str, object]:
    """The n-th erasure request for the subject (a new request id and erase run id each time)."""
    return erasure.run_erasure(
        spark,
        _cfg(out, f"erase_{n}"),
        erasure.Request(ids=(SUBJECT,), formats=("jsonl",)),
        f"req-{n}",
        "steward@example",
        dt.datetime(2026, 12, n, tzinfo=dt.UTC),
    )


def _comparable(df: DataFrame) -> DataFrame:
    """Without the run id, and with raw file paths relative to the input root (the two inputs differ)."""
    if "source_file" in df.columns:
        df = df.withColumn("source_file", F.regexp_extract("source_file", r"(dt=[^/]+/[^/]+)$", 1))
    return df.drop("run_id", "v")


def _subject_id(spark: SparkSession) -> str:
    return str(spark.range(1).select(visitor_hash(F.lit(f"id:{SUBJECT}"), SALT)).collect()[0][0])


def _mentions(df: DataFrame) -> int:
    """Rows of any dataset that still carry the subject: their hashed id or their clear id in any text."""
    text = F.concat_ws("\u0001", *[F.col(c).cast("string") for c in df.columns])
    return df.where(F.instr(text, SUBJECT) > 0).count()


@pytest.fixture(scope="module")
def erased(
    spark: SparkSession, raw_with_subject: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("staging")
    run_job(spark, raw_with_subject, out, "jsonl", run_id="full")
    return out, _erase(spark, out, 1)


def test_the_job_hashes_the_subject_like_the_erasure(spark: SparkSession, raw_with_subject: Path) -> None:
    assert erasure.raw_keys(erasure.Request(ids=(SUBJECT,), formats=("jsonl",))) == [f"id:{SUBJECT}"]
    ids = erasure.hash_keys(spark, [f"id:{SUBJECT}"], SALT)
    assert ids == [_subject_id(spark)]


def test_erasure_removes_the_subject_from_every_staged_dataset(
    spark: SparkSession, erased: tuple[Path, dict[str, object]]
) -> None:
    out, entry = erased
    removed = {r["dataset"] for r in entry["staging"]}  # type: ignore[attr-defined]
    # The subject was in every dataset (so the test can fail), incl. the truncated quarantine line.
    assert removed == {"events", "sessions", "state", "quarantine"}
    subject = _subject_id(spark)
    for name in ("events", "sessions", "state"):
        assert read(spark, out, name).where(F.col("visitor_id") == subject).count() == 0, name
    assert _mentions(read(spark, out, "quarantine")) == 0


def test_staging_equals_a_run_without_the_subject(
    spark: SparkSession, raw: Path, erased: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    out, _ = erased
    clean = tmp_path / "clean"
    run_job(spark, raw, clean, "jsonl", run_id="clean")
    for name in ("events", "sessions", "quarantine", "state"):
        got, want = _comparable(read(spark, out, name)), _comparable(read(spark, clean, name))
        assert got.exceptAll(want).count() == 0 and want.exceptAll(got).count() == 0, name


def test_ledger_holds_hashes_and_counts_never_the_clear_key(erased: tuple[Path, dict[str, object]]) -> None:
    out, entry = erased
    text = (out / erasure.LEDGER).read_text()
    assert SUBJECT not in text
    (line,) = erasure.parse_ledger(text)
    assert line["request_id"] == "req-1" and line["requested_by"] == "steward@example"
    assert line["status"] == "staging_erased" and line["key_kinds"] == ["id"]
    assert line["rows_removed"] == sum(r["rows_removed"] for r in line["staging"]) > 0
    assert line == entry


def test_erasing_twice_changes_nothing(spark: SparkSession, erased: tuple[Path, dict[str, object]]) -> None:
    out, _ = erased
    before = (out / POINTER_NAME).read_text()
    entry = _erase(spark, out, 2)
    assert entry["rows_removed"] == 0 and entry["staging"] == []
    assert (out / POINTER_NAME).read_text() == before
    assert [e["request_id"] for e in erasure.parse_ledger((out / erasure.LEDGER).read_text())] == [
        "req-1",
        "req-2",
    ]


def test_a_daily_rerun_does_not_bring_the_subject_back(
    spark: SparkSession, raw_with_subject: Path, erased: tuple[Path, dict[str, object]]
) -> None:
    out, _ = erased
    generation = parse((out / POINTER_NAME).read_text()).generation
    result = run_job(
        spark, raw_with_subject, out, "jsonl", start=DAY2, end=DAY2 + dt.timedelta(days=1), run_id="rerun"
    )
    assert parse((out / POINTER_NAME).read_text()).generation == generation + 1
    counts = result.counts
    # Without state as of day 2 the run reads day 1 (look-back), day 2 and day 3 (late arrivals): the
    # subject's 12 records there (4 events and 2 quarantine-bound lines a day) are filtered first and
    # counted, so the manifest still reconciles (read == valid + quarantined + filtered).
    assert counts["filtered_by_reason"][erasure.FILTER_REASON] == 12
    assert counts["read"] == counts["valid"] + counts["quarantined"] + counts["filtered"]
    subject = _subject_id(spark)
    for name in ("events", "sessions", "state"):
        assert read(spark, out, name).where(F.col("visitor_id") == subject).count() == 0, name
    assert _mentions(read(spark, out, "quarantine")) == 0


def test_quarantine_matching_needs_a_whole_token(spark: SparkSession) -> None:
    ids = erasure.hash_keys(spark, ["id:c42", "rr:7"], SALT)
    rows = [
        ('{"visitor_id":"c42","event_type":"page_v',),
        ("1700000000000,7,teleport,1,",),
        ('{"visitor_id":"c421","event_type":"x"}',),
        ("1700000000000,77,view,1,",),
        (None,),
    ]
    df = spark.createDataFrame(rows, "raw string")
    got = [r[0] for r in df.select(erasure.raw_mentions(F.col("raw"), ids, SALT)).collect()]
    assert got == [True, True, False, False, False]


def test_requests_are_validated_and_keys_follow_the_formats() -> None:
    both = erasure.Request(ip="198.51.100.7", user_agent="UA/1", formats=("jsonl", "combined"))
    assert erasure.raw_keys(both) == ["ipua:198.51.100.7|UA/1"]
    assert erasure.raw_keys(erasure.Request(ids=("42",))) == ["id:42", "rees46:42", "rr:42", "user:42"]
    for bad in (
        {},
        {"ip": "198.51.100.7"},
        {"ids": (" ",)},
        {"ip": "198.51.100.7", "user_agent": "x", "formats": ("rees46",)},
        {"ids": ("1",), "formats": ("csv",)},
    ):
        with pytest.raises(ValueError):
            erasure.Request(**bad)


def test_a_run_does_not_publish_when_an_erasure_is_recorded_while_it_works(
    spark: SparkSession, raw_with_subject: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The erasure is recorded (a real ledger write) between the run's first read of the list and its
    pointer write: the run must publish nothing, since it did not filter the newly erased visitor."""
    out = tmp_path / "staging"
    real = erasure.load_erased_ids
    calls: list[int] = []

    def recorded_meanwhile(spark_: SparkSession, output_uri: str) -> list[str]:
        calls.append(1)
        if len(calls) == 2:
            ids = erasure.hash_keys(spark_, [f"id:{SUBJECT}"], SALT)
            erasure.write_entry(
                spark_, output_uri, erasure.ledger_entry("req-x", "s", "t", ["id"], ids, None)
            )
        return real(spark_, output_uri)

    monkeypatch.setattr(erasure, "load_erased_ids", recorded_meanwhile)
    with pytest.raises(ReconciliationError, match="erased while this run worked"):
        run_job(spark, raw_with_subject, out, "jsonl", end=DAY2, run_id="raced")
    assert len(calls) == 2
    assert not (out / POINTER_NAME).exists()
