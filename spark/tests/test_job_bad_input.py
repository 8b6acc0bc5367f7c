"""Bad input never crashes the job and never disappears: every record is reconciled."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

from helpers import START, read, run_job
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

DAY = START.isoformat()


def _ok(i: int, ts: str = f"{DAY}T10:00:00Z") -> str:
    return json.dumps(
        {"event_ts": ts, "visitor_id": f"v{i}", "event_type": "page_view", "page_url": "/", "ip": "192.0.2.7"}
    )


def test_bad_files_and_lines_are_quarantined_with_reasons(spark: SparkSession, tmp_path: Path) -> None:
    day = tmp_path / "raw" / f"dt={DAY}"
    day.mkdir(parents=True)
    (day / "good.jsonl").write_text("\n".join(_ok(i) for i in range(5)) + "\n")
    (day / "empty.jsonl").write_bytes(b"")
    body = "\n".join(_ok(i) for i in range(3000)).encode()
    (day / "truncated.jsonl.gz").write_bytes(gzip.compress(body)[:-300])
    (day / "garbage.bin").write_bytes(bytes(range(256)) * 64)
    lines = [
        "this is not json",
        '{"event_ts": "not a time", "visitor_id": "x", "event_type": "page_view"}',
        '{"visitor_id": "x", "event_type": "page_view"}',
        json.dumps({"event_ts": "2099-01-01T00:00:00Z", "visitor_id": "x", "event_type": "page_view"}),
        json.dumps({"event_ts": f"{DAY}T11:00:00Z", "visitor_id": "x", "event_type": "teleport"}),
        json.dumps(
            {
                "event_ts": f"{DAY}T11:00:00Z",
                "visitor_id": "x",
                "event_type": "page_view",
                "pad": "y" * (1024 * 1024 + 10),
            }
        ),
        json.dumps(
            {
                "event_ts": f"{DAY}T12:00:00Z",
                "visitor_id": "late",
                "event_type": "page_view",
                "ip": "203.0.113.9",
            }
        ),
    ]
    data = ("\n".join(lines) + "\n").encode() + b'{"event_ts": "\xff\xfe", "visitor_id": "enc"}\n'
    (day / "mixed.jsonl").write_bytes(data)
    res = run_job(
        spark, tmp_path / "raw", tmp_path / "out", "jsonl", start=START, end=START + dt.timedelta(days=1)
    )
    c = res.counts
    assert res.manifest["reconciled"] is True
    assert c["read"] == c["valid"] + c["quarantined"] + c["filtered"]
    by = c["quarantined_by_reason"]
    assert by["empty_file"] == 1
    assert by["corrupt_file"] == 2  # truncated gzip + binary garbage
    assert by["parse_error"] >= 1
    assert by["bad_timestamp"] == 1
    assert by["missing_field"] == 1
    assert by["future_timestamp"] == 1
    assert by["unknown_event_type"] == 1
    assert by["line_too_long"] == 1
    assert by["bad_encoding"] == 1
    # lines read from the truncated gzip before the damage are valid events, not lost
    assert c["valid"] > 5 + 1000
    q = read(spark, tmp_path / "out", "quarantine")
    long = q.where(F.col("reason") == "line_too_long").collect()[0]
    assert long.raw_truncated and len(long.raw) == 64 * 1024
    # IPs are never written in clear: not in events, not in quarantine raw text
    assert q.where(F.col("raw").contains("192.0.2.7") | F.col("raw").contains("203.0.113.9")).count() == 0
    ev = read(spark, tmp_path / "out", "events")
    assert ev.where(F.col("visitor_id").contains("192.0.2")).count() == 0
    manifest = json.loads((tmp_path / "out" / "manifests" / "run_id=test.json").read_text())
    assert manifest["counts"] == c and manifest["partitions"]["events"] == [DAY]


def test_wrong_header_and_wrong_columns_csv(spark: SparkSession, tmp_path: Path) -> None:
    day = tmp_path / "raw" / f"dt={DAY}"
    day.mkdir(parents=True)
    ms = int(dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC).timestamp() * 1000)
    (day / "a.csv").write_text(
        f"timestamp,visitorid,event,itemid,transactionid\n{ms},1,view,5,\n{ms},2,view\n"
    )
    (day / "b.csv").write_text(f"ts,user,what,item\n{ms},1,view,5\n")
    res = run_job(
        spark,
        tmp_path / "raw",
        tmp_path / "out",
        "retailrocket",
        start=START,
        end=START + dt.timedelta(days=1),
    )
    assert res.counts["valid"] == 1
    assert res.counts["quarantined_by_reason"] == {"bad_header": 2, "wrong_columns": 1}


def test_a_run_with_no_valid_event_reconciles(spark: SparkSession, tmp_path: Path) -> None:
    """Nothing valid: no event files are staged, and the read-back count of written events is zero."""
    day = tmp_path / "raw" / f"dt={DAY}"
    day.mkdir(parents=True)
    (day / "bad.jsonl").write_text("not json\n{}\n")
    res = run_job(
        spark, tmp_path / "raw", tmp_path / "out", "jsonl", start=START, end=START + dt.timedelta(days=1)
    )
    assert res.manifest["reconciled"] is True
    assert (res.counts["read"], res.counts["valid"], res.counts["quarantined"]) == (2, 0, 2)
    assert res.counts["sessions"] == 0
