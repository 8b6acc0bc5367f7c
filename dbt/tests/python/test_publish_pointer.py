"""The staging models read what the publish pointer names: a run killed before its pointer write is
invisible, its pointer write makes all of it visible at once (docs/data-contract.md, "The publish pointer").

What a killed run leaves is built here exactly as the Spark job leaves it: new version folders
`v=<run_id>` beside the published ones and its manifest, with the old pointer (the Spark test
spark/tests/test_publish_atomic.py kills the real job at those points).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
from conftest import DbtRunner, local_env
from fixture import (
    DAYS,
    EVENT_SCHEMA,
    QUARANTINE_SCHEMA,
    RUN_ID,
    SESSION_SCHEMA,
    event_rows,
    manifest,
    pointer_text,
    quarantine_rows,
    session_rows,
    write_partitioned,
)

STAGING = ["stg_caec__events", "stg_caec__sessions", "stg_caec__quarantine_counts", "stg_caec__runs"]
NEW_RUN = "rerun-of-day-1"


def _counts(run_dbt: DbtRunner, staging: Path, db: Path) -> dict[str, Any]:
    run_dbt(["run", "--select", *STAGING], local_env(staging, db))
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            "events": con.sql("select count(*) from staging.stg_caec__events").fetchall()[0][0],
            "sessions": con.sql("select count(*) from staging.stg_caec__sessions").fetchall()[0][0],
            "quarantined": con.sql(
                "select sum(record_count) from staging.stg_caec__quarantine_counts"
            ).fetchall()[0][0],
            "runs": con.sql(
                "select run_id, records_valid from staging.stg_caec__runs order by all"
            ).fetchall(),
        }


def _distinct_events(rows: list[dict[str, object]]) -> int:
    return len({(str(e["event_date"]), e["event_id"]) for e in rows})  # the model's grain


def _rerun_day_one(root: Path) -> tuple[dict[str, list[str]], dict[str, int]]:
    """A re-run of the first day whose data differs (session s2 and its events gone, one quarantine
    record): its version folders and manifest, as the job leaves them before its pointer write.
    Returns the partitions it wrote and the counts the staging models must show once it is published."""
    day = DAYS[0]
    events = [
        e | {"run_id": NEW_RUN}
        for e in event_rows()
        if str(e["event_date"]) == day and e["session_id"] != "s2"
    ]
    sessions = [
        s | {"run_id": NEW_RUN}
        for s in session_rows()
        if str(s["session_date"]) == day and s["session_id"] != "s2"
    ]
    quarantine = [q | {"run_id": NEW_RUN} for q in quarantine_rows() if str(q["ingest_date"]) == day][:1]
    written = {
        "events": write_partitioned(events, EVENT_SCHEMA, root / "events", "event_date", NEW_RUN),
        "sessions": write_partitioned(sessions, SESSION_SCHEMA, root / "sessions", "session_date", NEW_RUN),
        "quarantine": write_partitioned(
            quarantine, QUARANTINE_SCHEMA, root / "quarantine", "ingest_date", NEW_RUN
        ),
    }
    man = manifest(events, sessions) | {"run_id": NEW_RUN, "finished_at": "2024-06-05T01:01:00Z"}
    (root / "manifests" / f"run_id={NEW_RUN}.json").write_text(json.dumps(man) + "\n")
    keep = {
        "events": [e for e in event_rows() if str(e["event_date"]) != day] + events,
        "sessions": [s for s in session_rows() if str(s["session_date"]) != day] + sessions,
        "quarantine": [q for q in quarantine_rows() if str(q["ingest_date"]) != day] + quarantine,
    }
    expected = {
        "events": _distinct_events(keep["events"]),
        "sessions": len(keep["sessions"]),
        "quarantined": len(keep["quarantine"]),
    }
    return written, expected


def test_a_killed_publish_is_invisible_and_its_pointer_publishes_it_whole(
    staging_root: Path, run_dbt: DbtRunner, tmp_path: Path
) -> None:
    root = tmp_path / "staging"
    shutil.copytree(staging_root, root)
    old = _counts(run_dbt, root, tmp_path / "old.duckdb")
    assert old["events"] == _distinct_events(event_rows()) and old["runs"] == [(RUN_ID, old["events"])]

    written, expected = _rerun_day_one(root)
    assert _counts(run_dbt, root, tmp_path / "killed.duckdb") == old

    # The run's last step: the next pointer generation names its versions and its manifest.
    current = {
        "events": {str(e["event_date"]): RUN_ID for e in event_rows()},
        "sessions": {str(s["session_date"]): RUN_ID for s in session_rows()},
        "quarantine": {str(q["ingest_date"]): RUN_ID for q in quarantine_rows()},
    }
    for name, values in written.items():
        current[name].update(dict.fromkeys(values, NEW_RUN))
    (root / "_current.jsonl").write_text(pointer_text(current, [RUN_ID, NEW_RUN], generation=2))
    new = _counts(run_dbt, root, tmp_path / "new.duckdb")
    assert {k: new[k] for k in expected} == expected
    assert expected["events"] < old["events"] and expected["quarantined"] < old["quarantined"]
    assert [r[0] for r in new["runs"]] == [RUN_ID, NEW_RUN]
