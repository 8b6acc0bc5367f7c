from __future__ import annotations

import io

from caec_pipeline.progress import Progress, ProgressLine, bar, format_seconds, parse_line, split_output


def test_dbt_lines_give_model_progress() -> None:
    p = parse_line("12:00:01  3 of 40 START sql table model main.fct_sessions .... [RUN]", Progress())
    assert p.fraction == 2 / 40 and p.status.startswith("3 of 40 START")
    p = parse_line("12:00:02  3 of 40 OK created sql table model main.fct_sessions [OK in 0.3s]", p)
    assert p.fraction == 3 / 40
    assert parse_line("12:00:09  40 of 40 PASS not_null_fct_sessions_session_id", p).fraction == 1.0


def test_spark_console_bar_and_own_progress_lines() -> None:
    p = parse_line("caec-spark 12:00:01 [3/8 parse] parsing and validating records", Progress())
    assert p.fraction == 3 / 8 and p.status == "[3/8 parse] parsing and validating records"
    # Spark's console bar restarts at 0 for every Spark stage: it updates the status, not the fraction
    p = parse_line("[Stage 3:=====>                (12 + 2) / 40]", p)
    assert p.fraction == 3 / 8 and p.status == "Spark stage 3: 12/40 tasks"


def test_free_text_never_moves_the_bar() -> None:
    """Issue 17, item 10: any "NN%" or "N/M" in a child's output made the bar jump (backwards)."""
    at = Progress(0.75, "[6/8 sessionize]")
    for line in (
        "generated 45% of events",
        "caec-spark 12:00:03 [4/8 route] quarantine share 12% of 10000 record(s)",
        "progress 5/14 days written",
        "[2/4] writing sessions",
        "12:00:05  GET /sale?off=10% 200",
    ):
        assert parse_line(line, at).fraction == 0.75, line
    assert parse_line("caec-spark 12:00:03 [4/8 route] 10000 record(s) read", at).fraction == 0.75


def test_dbt_progress_does_not_go_back_on_a_start_line() -> None:
    done = parse_line("12:00:02  3 of 40 OK created sql table model main.a", Progress())
    assert parse_line("12:00:02  2 of 40 START sql view model main.b", done).fraction == 3 / 40


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


def test_the_spark_jobs_own_step_lines() -> None:
    p = parse_line("caec-spark 23:45:45 [2/8 read] reading 8 file(s) as jsonl", Progress())
    assert p.fraction == 2 / 8 and p.status == "[2/8 read] reading 8 file(s) as jsonl"


def test_python_warnings_are_not_status() -> None:
    before = Progress(0.25, "[2/8 read] reading")
    warning = (
        "/x/pyspark/sql/pandas/functions.py:777: FutureWarning: PySpark does not yet fully support pandas"
    )
    assert parse_line(warning, before) == before
    assert parse_line("  require_minimum_pandas_version()", before) == before


def test_ansi_colours_are_stripped() -> None:
    p = parse_line("\x1b[0m00:10:02  3 of 40 OK created sql view model staging.stg_x", Progress())
    assert p.fraction == 3 / 40 and "\x1b" not in p.status
