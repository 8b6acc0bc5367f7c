"""The day window is validated once at the CLI edge and required; progress lines are the JSON contract."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from caec_spark.__main__ import main
from caec_spark.config import DayWindow, RunConfig
from caec_spark.job import STAGES, input_days
from caec_spark.log import progress, progress_line

D = dt.date(2026, 11, 1)


def test_a_window_is_half_open_and_validated_once() -> None:
    w = DayWindow(D, D + dt.timedelta(days=2))
    assert (w.days, w.last_day, str(w)) == (2, D + dt.timedelta(days=1), "[2026-11-01, 2026-11-03)")
    assert D in w and D + dt.timedelta(days=2) not in w
    assert w.start_ts == dt.datetime(2026, 11, 1) and w.end_ts == dt.datetime(2026, 11, 3)
    assert DayWindow.parse("2026-11-01", "2026-11-03") == w
    with pytest.raises(ValueError, match=r"must be after --start"):
        DayWindow(D, D)
    with pytest.raises(ValueError, match=r"--end is not a date"):
        DayWindow.parse("2026-11-01", "2026-11-31")
    with pytest.raises(ValueError, match="must be a date"):
        DayWindow(dt.datetime(2026, 11, 1), D + dt.timedelta(days=1))  # a datetime is a date to mypy
    with pytest.raises(TypeError, match="DayWindow"):
        RunConfig("in", "jsonl", "out", (D, D + dt.timedelta(days=1)), "r")  # type: ignore[arg-type]


def test_the_input_days_cover_look_back_and_late_arrivals() -> None:
    w = DayWindow(D, D + dt.timedelta(days=1))
    lookback = w.start_ts - dt.timedelta(hours=6)
    assert input_days(w, has_state=True, lookback_ts=lookback, late_days=1) == DayWindow(
        D, D + dt.timedelta(days=2)
    )
    assert input_days(w, has_state=False, lookback_ts=lookback, late_days=0) == DayWindow(
        D - dt.timedelta(days=1), D + dt.timedelta(days=1)
    )


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ([], "the following arguments are required: --start, --end"),
        (["--start", "2026-11-01"], "the following arguments are required: --end"),
        (
            ["--start", "2026-11-02", "--end", "2026-11-01"],
            "--end (2026-11-01) must be after --start (2026-11-02)",
        ),
        (
            ["--start", "11/01/2026", "--end", "2026-11-02"],
            "--start is not a date (YYYY-MM-DD): '11/01/2026'",
        ),
    ],
)
def test_sessionize_requires_a_valid_window(
    window: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """No window is inferred from dt= folders: without --start/--end the CLI refuses (exit 2), before Spark."""
    argv = ["sessionize", "--input", "/nonexistent", "--format", "jsonl", "--output", "/nonexistent", *window]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    assert code == 2
    assert message in capsys.readouterr().err


def test_progress_lines_are_one_json_object_each() -> None:
    now = dt.datetime(2026, 12, 4, 7, 1, 2, 987654, tzinfo=dt.UTC)
    line = progress_line("route", "read 10 record(s)", step=1, steps=len(STAGES), now=now)
    assert list(json.loads(line).items()) == [
        ("caec", "progress"),
        ("component", "spark"),
        ("time", "2026-12-04T07:01:02Z"),
        ("step", 1),
        ("steps", 5),
        ("stage", "route"),
        ("message", "read 10 record(s)"),
    ]
    assert "\n" not in progress_line("gc", "a\nb", now=now)
    assert json.loads(progress_line("gc", "removed x", now=now)) == {
        "caec": "progress",
        "component": "spark",
        "time": "2026-12-04T07:01:02Z",
        "stage": "gc",
        "message": "removed x",
    }
    with pytest.raises(ValueError):
        progress_line("route", "x", step=6, steps=5)
    with pytest.raises(ValueError):
        progress_line("route", "x", step=1)
    assert STAGES == ("route", "sessionize", "stage", "reconcile", "publish")


def test_progress_goes_to_stderr_and_stdout_stays_clean() -> None:
    code = "from caec_spark.log import progress; progress('publish', 'done', 5, 5)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout == ""
    assert json.loads(proc.stderr)["stage"] == "publish"
    assert callable(progress)
