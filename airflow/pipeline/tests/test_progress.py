from __future__ import annotations

import io
import json
from pathlib import Path

from caec_pipeline.progress import (
    Progress,
    ProgressLine,
    bar,
    format_seconds,
    parse_line,
    read_line,
    split_output,
)

FIXTURES = Path(__file__).parent / "fixtures"


def spark(message: str, step: int | None = None, steps: int | None = None, stage: str = "parse") -> str:
    """A progress line as the Spark job writes it on stderr (the cross-process contract)."""
    line: dict[str, object] = {"caec": "progress", "component": "spark", "time": "2026-12-04T07:00:01Z"}
    if step is not None:
        line |= {"step": step, "steps": steps}
    return json.dumps(line | {"stage": stage, "message": message})


def test_dbt_json_log_events_give_node_progress() -> None:
    """Lines of a real ``dbt --log-format json build`` (dbt-core 1.12: two models and one test)."""
    lines = (FIXTURES / "dbt_build_events.jsonl").read_text().splitlines()
    seen = []
    p = Progress()
    for line in lines:
        p = parse_line(line, p)
        seen.append(p.fraction)
    # START of node i: i-1 of 3 done; its result: i of 3 (LogTestResult counts in num_models)
    assert seen == [0.0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1.0]
    assert p.status.startswith("3 of 3 PASS not_null_b_id") and "\x1b" not in p.status
    assert read_line(lines[1]).text.startswith("1 of 3 OK created sql view model main.a")


def test_spark_progress_lines_and_its_console_bar() -> None:
    p = parse_line(spark("parsing and validating records", 3, 8), Progress())
    assert p.fraction == 3 / 8 and p.status == "[3/8 parse] parsing and validating records"
    # Spark's console bar restarts at 0 for every Spark stage: it updates the status, not the fraction
    p = parse_line("[Stage 3:=====>                (12 + 2) / 40]", p)
    assert p.fraction == 3 / 8 and p.status == "Spark stage 3: 12/40 tasks"
    # a line without step/steps is status only
    p = parse_line(spark("wrote 14 day(s)", stage="write"), p)
    assert p.fraction == 3 / 8 and p.status == "[write] wrote 14 day(s)"
    assert read_line(spark("x", 1, 8)).text == "spark 2026-12-04T07:00:01Z [1/8 parse] x"


def test_free_text_never_moves_the_bar() -> None:
    """Issue 17, item 10: any "NN%" or "N/M" in a child's output made the bar jump (backwards)."""
    at = Progress(0.75, "[6/8 sessionize]")
    for line in (
        "generated 45% of events",
        spark("quarantine share 12% of 10000 record(s)", stage="route"),
        "progress 5/14 days written",
        "[2/4] writing sessions",
        "12:00:05  GET /sale?off=10% 200",
        "12:00:09  3 of 40 OK created sql table model main.fct_sessions",  # dbt text, not its JSON
        '{"not": "progress", "step": 1, "steps": 2}',
        "{broken json",
    ):
        assert parse_line(line, at).fraction == 0.75, line
    assert parse_line(spark("10000 record(s) read", 4, 8, "route"), at).fraction == 0.75


def test_progress_does_not_go_back_on_a_start_line() -> None:
    done = {
        "info": {"name": "LogModelResult", "msg": "3 of 40 OK"},
        "data": {"index": 3, "total": 40, "status": "OK"},
    }
    start = {"info": {"name": "LogStartLine", "msg": "2 of 40 START"}, "data": {"index": 2, "total": 40}}
    p = parse_line(json.dumps(done), Progress())
    assert parse_line(json.dumps(start), p).fraction == 3 / 40


def test_noise_keeps_the_previous_state() -> None:
    before = Progress(0.5, "writing")
    assert (
        parse_line("25/11/26 23:00:01 WARN NativeCodeLoader: Unable to load native-hadoop library", before)
        == before
    )
    assert parse_line("WARNING: Using incubator modules", before) == before
    assert parse_line("reading input", before) == Progress(0.5, "reading input")


def test_split_output_handles_carriage_returns() -> None:
    assert split_output("a\r[Stage 1:> (0 + 2) / 2]\rb\n\nc") == ["a", "[Stage 1:> (0 + 2) / 2]", "b", "c"]


def test_bar_and_seconds() -> None:
    assert bar(0.5, width=10) == "[#####.....]  50%"
    assert bar(None, width=4) == "[    ]"
    assert format_seconds(4.24) == "4.2s" and format_seconds(185) == "3m05s"


def test_progress_line_without_a_tty_prints_throttled_lines() -> None:
    out = io.StringIO()
    line = ProgressLine("x", out, interval_s=3600)
    line.update(Progress(0.05, "a"))
    line.update(Progress(0.08, "b"))  # < 10% further: suppressed
    line.update(Progress(0.2, "c"))
    line.update(Progress(0.21, "d"), force=True)
    line.close()
    printed = out.getvalue().splitlines()
    assert [p.split()[-1] for p in printed] == ["a", "c", "d"]
    assert "\r" not in out.getvalue()


def test_python_warnings_are_not_status() -> None:
    before = Progress(0.25, "[2/8 read] reading")
    warning = (
        "/x/pyspark/sql/pandas/functions.py:777: FutureWarning: PySpark does not yet fully support pandas"
    )
    assert parse_line(warning, before) == before
    assert parse_line("  require_minimum_pandas_version()", before) == before


def test_ansi_colours_are_stripped() -> None:
    p = parse_line("\x1b[0m00:10:02  reading \x1b[32minput\x1b[0m", Progress())
    assert p.status == "00:10:02 reading input"
