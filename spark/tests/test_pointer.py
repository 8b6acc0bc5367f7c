"""The publish pointer's format and generations (pure: no storage, no Spark)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from caec_spark.io import write_text
from caec_spark.pointer import Entry, Pointer, PointerError, advance, parse


def test_a_generation_replaces_what_it_publishes_and_retires_what_it_replaced() -> None:
    first = advance(Pointer(), [Entry("events", "2026-11-01", "a"), Entry("events", "2026-11-02", "a")], "a")
    second = advance(first, [Entry("events", "2026-11-02", "b"), Entry("manifests", "b", "b")], "b")
    assert (second.generation, second.writer) == (2, "b")
    assert second.version("events", "2026-11-01") == "a"
    assert second.version("events", "2026-11-02") == "b"
    assert second.retired == (Entry("events", "2026-11-02", "a"),)
    third = advance(second, [Entry("events", "2026-11-03", "c")], "c")
    assert third.retired == (), "the next generation forgets older retirements (their folders are deleted)"
    assert third.keys("manifests") == ["b"] and third.version("events", "2026-11-04") is None


def test_the_text_round_trips_and_is_one_json_object_per_line() -> None:
    ptr = advance(
        advance(Pointer(), [Entry("sessions", "2026-11-01", "a")], "a"),
        [Entry("sessions", "2026-11-01", "b")],
        "b",
    )
    text = ptr.to_text()
    rows = [json.loads(line) for line in text.splitlines()]
    assert all(set(r) == {"dataset", "key", "version", "status"} for r in rows)
    assert rows[0] == {"dataset": "_pointer", "key": "2", "version": "b", "status": "current"}
    assert parse(text) == ptr
    assert parse("") == Pointer()


def test_a_broken_pointer_is_an_error_not_an_empty_state() -> None:
    with pytest.raises(PointerError, match="line 1"):
        parse('{"dataset": "events"}\n')
    with pytest.raises(PointerError, match="unknown status"):
        parse('{"dataset": "events", "key": "d", "version": "v", "status": "maybe"}\n')


def test_published_small_files_are_readable_by_other_users(spark: SparkSession, tmp_path: Path) -> None:
    """The pointer (and manifests, ledger) get the mode a plain create gives, not mkstemp's 0600: dbt and
    Airflow read them as other users (the images run as different uids)."""
    target = tmp_path / "_current.jsonl"
    write_text(spark, str(target), "{}\n")
    plain = tmp_path / "plain"
    plain.write_text("")
    assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)
    assert target.stat().st_mode & stat.S_IROTH
