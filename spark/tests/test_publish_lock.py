"""Concurrent publishes into one root take turns on the pointer (publish.pointer_lock): none is lost."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers import START, a_raw_visitor, gen, run_job
from pyspark.sql import SparkSession

from caec_spark import io
from caec_spark import publish as pub
from caec_spark.config import DayWindow, RunConfig
from caec_spark.pointer import POINTER_NAME, Entry, Pointer

DAY = dt.date(2026, 11, 1)
NOW = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)


def _cfg(out: Path, run_id: str) -> RunConfig:
    return RunConfig(
        input_uri="",
        fmt="jsonl",
        output_uri=str(out),
        window=DayWindow(DAY, DAY + dt.timedelta(days=1)),
        run_id=run_id,
    )


def _lock(out: Path) -> Path:
    return out / pub.LOCK_NAME


@pytest.fixture(autouse=True)
def _fast_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pub, "LOCK_POLL_S", 0.05)


def test_create_exclusive_creates_once_locally_and_through_hadoop(
    spark: SparkSession, tmp_path: Path
) -> None:
    local = tmp_path / "a" / "lock"
    assert io.create_exclusive(spark, str(local), "first")
    assert not io.create_exclusive(spark, str(local), "second")
    assert local.read_text() == "first"
    # the branch gs:// takes, run against the local file system through Hadoop
    uri = f"file:{tmp_path / 'b' / 'lock'}"
    assert io._create_exclusive_hadoop(spark, uri, "first")
    assert not io._create_exclusive_hadoop(spark, uri, "second")
    assert io.read_text(spark, uri) == "first"


def test_two_runs_publishing_at_once_both_stay_published(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run a stops between re-reading the pointer and writing it; run b publishes meanwhile. Without the
    lock b wrote generation 1 and a then wrote its own generation 1 over it, dropping b's partition."""
    out = tmp_path / "out"
    in_critical_section, resume = threading.Event(), threading.Event()
    real_advance = pub.advance

    def advance(old: Pointer, published: list[Entry], writer: str) -> Pointer:
        if writer == "a":
            in_critical_section.set()
            assert resume.wait(30)
        return real_advance(old, published, writer)

    monkeypatch.setattr(pub, "advance", advance)
    errors: list[BaseException] = []

    def publish(run_id: str, key: str) -> None:
        try:
            pub.commit(spark, _cfg(out, run_id), [Entry("events", key, run_id)], Pointer(), NOW)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    a = threading.Thread(target=publish, args=("a", "2026-11-01"))
    b = threading.Thread(target=publish, args=("b", "2026-11-02"))
    a.start()
    assert in_critical_section.wait(30)
    b.start()
    b.join(3)
    b_waited = b.is_alive()
    resume.set()
    a.join(60)
    b.join(60)
    assert not errors, errors
    final = pub.load_pointer(spark, str(out))
    assert (final.version("events", "2026-11-01"), final.version("events", "2026-11-02")) == ("a", "b")
    assert final.generation == 2 and final.writer == "b"
    assert b_waited, "run b published while run a held the lock"
    assert not _lock(out).exists()


def test_a_dead_runs_lock_is_removed(
    spark: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    taken = dt.datetime.now(dt.UTC) - pub.LOCK_STALE - dt.timedelta(seconds=5)
    _lock(out).write_text(json.dumps({"run_id": "dead", "at": taken.isoformat(), "token": "x"}))
    new = pub.commit(spark, _cfg(out, "r1"), [Entry("events", "2026-11-01", "r1")], Pointer(), NOW)
    assert new.version("events", "2026-11-01") == "r1"
    assert not _lock(out).exists()
    assert "left by run dead" in capsys.readouterr().err


def test_a_live_runs_lock_is_waited_for_then_the_publish_fails_with_its_holder_named(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pub, "LOCK_WAIT", dt.timedelta(seconds=0.5))
    out = tmp_path / "out"
    out.mkdir()
    held = json.dumps({"run_id": "busy", "at": dt.datetime.now(dt.UTC).isoformat(), "token": "x"})
    _lock(out).write_text(held)
    with pytest.raises(pub.PublishLockTimeout, match="held by run busy"):
        pub.commit(spark, _cfg(out, "r1"), [Entry("events", "2026-11-01", "r1")], Pointer(), NOW)
    assert pub.load_pointer(spark, str(out)).generation == 0, "published without the lock"
    assert _lock(out).read_text() == held, "another run's live lock was touched"
    assert "waiting for run busy" in capsys.readouterr().err


def test_the_lock_is_released_when_the_pointer_write_fails(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"

    def failing_write(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(io, "write_text", failing_write)
    with pytest.raises(OSError, match="disk full"):
        pub.commit(spark, _cfg(out, "r1"), [Entry("events", "2026-11-01", "r1")], Pointer(), NOW)
    assert not _lock(out).exists()


def test_a_run_that_waited_writes_the_time_it_took_the_lock(spark: SparkSession, tmp_path: Path) -> None:
    """Its lock must not look older than it is: a run that waited longer than LOCK_STALE and then wrote the
    time it started waiting would have its live lock removed by the next run."""
    out = tmp_path / "out"
    out.mkdir()
    start = dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC)
    calls = iter(range(1_000_000))

    def clock() -> dt.datetime:  # a minute passes between any two readings
        return start + dt.timedelta(minutes=next(calls))

    # held by a live run (taken "later" than anything this clock reads while the test runs)
    _lock(out).write_text(json.dumps({"run_id": "busy", "at": (start + dt.timedelta(days=1)).isoformat()}))
    releaser = threading.Timer(0.3, _lock(out).unlink)
    releaser.start()
    with pub.pointer_lock(spark, str(out), "r1", clock=clock):
        taken = dt.datetime.fromisoformat(json.loads(_lock(out).read_text())["at"])
    releaser.join()
    assert taken - start > pub.LOCK_STALE, f"the lock says it was taken at {taken}, when the wait began"
    assert not _lock(out).exists()


def test_an_unreadable_lock_is_aged_by_its_file_time(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pub, "LOCK_WAIT", dt.timedelta(seconds=0.3))
    out = tmp_path / "out"
    out.mkdir()
    _lock(out).write_text("not json")
    with pytest.raises(pub.PublishLockTimeout, match="held by run unknown"):
        pub.commit(spark, _cfg(out, "r1"), [Entry("events", "2026-11-01", "r1")], Pointer(), NOW)
    old = (dt.datetime.now(dt.UTC) - pub.LOCK_STALE - dt.timedelta(minutes=1)).timestamp()
    os.utime(_lock(out), (old, old))
    new = pub.commit(spark, _cfg(out, "r1"), [Entry("events", "2026-11-01", "r1")], Pointer(), NOW)
    assert new.version("events", "2026-11-01") == "r1"


# The child: the real CLI, with the wait for a held lock shortened from 20 minutes to 2 seconds
SHORT_WAIT = """
import datetime as dt, sys
import caec_spark.publish as pub
from caec_spark.__main__ import main
pub.LOCK_WAIT = dt.timedelta(seconds=2)
sys.exit(main(sys.argv[1:]))
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYSPARK_SUBMIT_ARGS": "--driver-memory 1g pyspark-shell"}
    return subprocess.run(
        [sys.executable, "-c", SHORT_WAIT, *args], env=env, capture_output=True, text=True, timeout=600
    )


def test_the_cli_reports_a_publish_it_could_not_lock_as_failed(spark: SparkSession, tmp_path: Path) -> None:
    """Exit 1 with the holder named, no traceback (Airflow shows the message), nothing published."""
    raw = gen(tmp_path / "raw", "jsonl", events=300, days=1)
    out = tmp_path / "out"
    end = START + dt.timedelta(days=1)
    run_job(spark, raw, out, "jsonl", start=START, end=end, run_id="first")
    published = (out / POINTER_NAME).read_text()
    live = json.dumps({"run_id": "busy", "at": (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()})
    _lock(out).write_text(live)
    common = ["--output", str(out), "--master", "local[1]"]
    window = ["--start", START.isoformat(), "--end", end.isoformat()]
    run = _cli("sessionize", "--input", str(raw), "--format", "jsonl", *window, "--run-id", "second", *common)
    erase = _cli("erase", "--user-id", a_raw_visitor(raw), "--requested-by", "steward@example", *common)
    for proc, says in (
        (run, "caec-spark sessionize: FAILED publish: "),
        (erase, "caec-spark erase: FAILED: "),
    ):
        assert proc.returncode == 1, proc.stderr[-3000:]
        assert says in proc.stderr and "held by run busy" in proc.stderr, proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert (out / POINTER_NAME).read_text() == published
    assert _lock(out).read_text() == live
