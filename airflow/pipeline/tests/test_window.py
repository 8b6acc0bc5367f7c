"""The day window: one type, checked once at the edges (CLI, DAG run, a user's own files)."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from caec_pipeline.runner import failure_excerpt
from caec_pipeline.window import (
    DayWindow,
    day_folder_window,
    guess_from_records,
    parse_day,
    record_day,
    resolve,
    window_of_input,
)

D1, D2 = date(2026, 11, 2), date(2026, 11, 3)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_window_is_checked_once_when_made() -> None:
    window = DayWindow(D1, date(2026, 11, 5))
    assert list(window) == [D1, D2, date(2026, 11, 4)] and window.days == 3
    assert window.args() == ["--start", "2026-11-02", "--end", "2026-11-05"]
    assert str(window) == "2026-11-02 .. 2026-11-05 (end exclusive)"
    with pytest.raises(ValueError, match=r"END is exclusive.*END=2026-11-03"):
        DayWindow(D1, D1)
    with pytest.raises(ValueError, match="expected YYYY-MM-DD"):
        DayWindow.parse("02/11/2026", "2026-11-03")
    with pytest.raises(TypeError, match="must be a date"):
        DayWindow(datetime(2026, 11, 2), D2)
    with pytest.raises(ValueError, match="--days must be positive"):
        DayWindow.of_days(D1, 0)
    assert parse_day(" 2026-11-02 ") == D1


def test_a_data_interval_maps_to_utc_days() -> None:
    start = datetime(2026, 11, 2, tzinfo=UTC)
    assert DayWindow.of_interval(start, start + timedelta(days=1)) == DayWindow(D1, D2)
    cet = timezone(timedelta(hours=1))
    # 2026-11-02 00:30 CET is 2026-11-01 23:30 UTC; an end mid-day covers that day
    interval = (datetime(2026, 11, 2, 0, 30, tzinfo=cet), datetime(2026, 11, 2, 12, tzinfo=UTC))
    assert DayWindow.of_interval(*interval) == DayWindow(date(2026, 11, 1), D2)
    # a zero-length interval (manual trigger) still covers its day
    moment = datetime(2026, 11, 2, 6)
    assert DayWindow.of_interval(moment, moment) == DayWindow(D1, D2)
    assert DayWindow.of_interval(D1, date(2026, 11, 5)) == DayWindow(D1, date(2026, 11, 5))


def test_a_dag_run_takes_its_data_interval_or_its_params() -> None:
    assert resolve({}, utc("2026-11-02"), utc("2026-11-03")) == DayWindow(D1, D2)
    params = {"start": "2026-10-01", "end": "2026-10-04"}
    assert resolve(params, utc("2026-11-02"), utc("2026-11-03")) == DayWindow(
        date(2026, 10, 1), date(2026, 10, 4)
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-10-01", "end": None}, "give both params"),
        ({"start": "2026-10-04", "end": "2026-10-01"}, "empty date range"),
        ({"start": "2026-13-01", "end": "2026-10-01"}, "is not a date"),
    ],
)
def test_bad_dag_params_fail_with_the_fix(params: dict[str, str | None], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve(params, utc("2026-11-02"), utc("2026-11-03"))


def test_a_dag_run_without_interval_or_params_asks_for_one() -> None:
    with pytest.raises(ValueError, match="no data interval"):
        resolve({"start": None, "end": None}, None, None)


@pytest.mark.parametrize(
    ("fmt", "line", "day"),
    [
        ("retailrocket", "1433221332117,257597,view,355908,", date(2015, 6, 2)),
        ("retailrocket", "timestamp,visitorid,event,itemid,transactionid", None),
        (
            "combined",
            '1.2.3.4 - - [10/Oct/2000:23:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-" "curl"',
            date(2000, 10, 11),
        ),
        ("jsonl", '{"event_ts": "2026-11-02T23:30:00-02:00", "visitor_id": "v"}', date(2026, 11, 3)),
        ("jsonl", '{"event_ts": "2026-11-02T10:00:00"}', date(2026, 11, 2)),
        ("jsonl", "{broken", None),
        (
            "rees46",
            "2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,,shiseido,35.79,541312140,72d7",
            date(2019, 10, 1),
        ),
        ("rees46", "event_time,event_type,product_id", None),
    ],
)
def test_record_day(fmt: str, line: str, day: date | None) -> None:
    assert record_day(line, fmt) == day


def test_the_guess_reads_head_and_tail_of_plain_and_gzip_files(tmp_path: Path) -> None:
    lines = ["timestamp,visitorid,event,itemid,transactionid"]
    lines += [f"{1433116800000 + i * 60_000},{i},view,1," for i in range(6000)]  # 2015-06-01 + 100 h
    (tmp_path / "events.csv").write_text("\n".join(lines) + "\n")
    guess = guess_from_records(tmp_path / "events.csv", "retailrocket")
    assert guess == DayWindow(date(2015, 6, 1), date(2015, 6, 6))
    with gzip.open(tmp_path / "more.csv.gz", "wt") as handle:
        handle.write("1433721600000,1,view,1,\n")  # 2015-06-08
    assert guess_from_records(tmp_path, "retailrocket") == DayWindow(date(2015, 6, 1), date(2015, 6, 9))
    assert guess_from_records(tmp_path / "events.csv", "combined") is None
    assert window_of_input(tmp_path, "retailrocket")[1].startswith("guessed from the first and last")
    with pytest.raises(ValueError, match="found no combined timestamps"):
        window_of_input(tmp_path / "events.csv", "combined")


def test_day_folders_name_their_days(tmp_path: Path) -> None:
    """The Spark job used to infer these itself; now the runner reads the folder names, once."""
    assert day_folder_window(tmp_path) is None
    (tmp_path / "dt=2026-11-02").mkdir()
    assert day_folder_window(tmp_path) is None  # an empty day folder holds no data
    for day in ("2026-11-02", "2026-11-04"):
        (tmp_path / f"dt={day}").mkdir(exist_ok=True)
        (tmp_path / f"dt={day}" / "part-0.jsonl.gz").write_bytes(b"")
    (tmp_path / "_truth" / "dt=2027-01-01").mkdir(parents=True)  # metadata: '_' names are skipped
    (tmp_path / "_truth" / "dt=2027-01-01" / "x").write_text("x")
    window, how = window_of_input(tmp_path, "jsonl")
    assert window == DayWindow(D1, date(2026, 11, 5)) and how == "from its dt= day folders"


def test_failure_excerpt_puts_the_error_first_and_drops_query_plans() -> None:
    lines = ["starting", "Traceback (most recent call last):", '  File "x.py", line 1', "    ^^^^"]
    lines += [f"   :  +- Project [col#{i}]" for i in range(500)]
    lines += ["pyspark.errors.AnalysisException: column `x` cannot be resolved", "x" * 1000]
    excerpt = failure_excerpt(lines)
    assert excerpt[0] == "Traceback (most recent call last):"
    assert excerpt[1].startswith("pyspark.errors.AnalysisException")
    assert not any("Project [" in e for e in excerpt)
    assert max(len(e) for e in excerpt) <= 300
    assert "starting" in excerpt
