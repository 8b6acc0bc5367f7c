from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest

from caec_pipeline.runner import failure_excerpt
from caec_pipeline.window import has_day_folders, infer_window, record_day


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


def test_infer_window_reads_head_and_tail_of_plain_and_gzip_files(tmp_path: Path) -> None:
    lines = ["timestamp,visitorid,event,itemid,transactionid"]
    lines += [f"{1433116800000 + i * 60_000},{i},view,1," for i in range(6000)]  # 2015-06-01 + 100 h
    (tmp_path / "events.csv").write_text("\n".join(lines) + "\n")
    assert infer_window(tmp_path / "events.csv", "retailrocket") == (date(2015, 6, 1), date(2015, 6, 6))
    with gzip.open(tmp_path / "more.csv.gz", "wt") as handle:
        handle.write("1433721600000,1,view,1,\n")  # 2015-06-08
    assert infer_window(tmp_path, "retailrocket") == (date(2015, 6, 1), date(2015, 6, 9))
    assert infer_window(tmp_path / "events.csv", "combined") is None


def test_day_folders_are_left_to_the_job(tmp_path: Path) -> None:
    assert not has_day_folders(tmp_path)
    (tmp_path / "dt=2026-11-02").mkdir()
    assert has_day_folders(tmp_path)


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
