from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from caec_pipeline.dq import (
    DQThresholds,
    ManifestError,
    check_manifest,
    evaluate_manifests,
    load_manifests,
    select_manifests,
)
from caec_pipeline.window import DayWindow

T = DQThresholds(max_quarantine_share=0.05, max_bot_share=0.5, max_late_share=0.1)


def manifest(
    run_id: str = "r1",
    start: str = "2026-11-02",
    end: str = "2026-11-03",
    finished: str = "2026-11-03T01:00:00Z",
    **counts: Any,
) -> dict[str, Any]:
    c = {
        "read": 1000,
        "valid": 960,
        "quarantined": 20,
        "filtered": 20,
        "human": 900,
        "bot": 60,
        "late": 10,
        "sessions": 300,
        "human_sessions": 280,
        "bot_sessions": 20,
        "quarantined_by_reason": {"parse_error": 15, "bad_timestamp": 5},
    }
    c.update(counts)
    return {
        "run_id": run_id,
        "finished_at": finished,
        "window": {"start": start, "end": end, "lookback_hours": 6},
        "counts": c,
        "reconciled": True,
    }


def test_a_clean_manifest_passes_with_shares() -> None:
    result = evaluate_manifests([manifest()], T)
    assert result.passed, result.message
    assert result.shares["quarantine"] == pytest.approx(20 / 980)
    assert result.shares["bot"] == pytest.approx(60 / 960)
    assert result.shares["late"] == pytest.approx(10 / 960)
    assert result.totals["read"] == 1000 and result.run_ids == ["r1"]
    assert result.quarantined_by_reason == {"parse_error": 15, "bad_timestamp": 5}
    assert "passed" in result.message


def test_unreconciled_manifest_fails_with_the_arithmetic() -> None:
    result = evaluate_manifests([manifest(read=1001)], T)
    assert not result.passed
    assert "read 1001 != valid 960 + quarantined 20 + filtered 20" in result.message
    bad_split = evaluate_manifests([manifest(human=899)], T)
    assert "valid 960 != human 899 + bot 60" in bad_split.message
    flagged = manifest()
    flagged["reconciled"] = False
    assert "not reconciled" in evaluate_manifests([flagged], T).message


def test_every_threshold_breach_is_listed() -> None:
    m = manifest(
        read=1000,
        valid=800,
        quarantined=200,
        filtered=0,
        human=300,
        bot=500,
        late=100,
        quarantined_by_reason={"parse_error": 200},
    )
    result = evaluate_manifests([m], T)
    assert not result.passed
    text = result.message
    assert "quarantine share 20.00% exceeds the threshold 5.00% (CAEC_DQ_MAX_QUARANTINE_SHARE)" in text
    assert "bot share 62.50% exceeds the threshold 50.00% (CAEC_DQ_MAX_BOT_SHARE)" in text
    assert "late share 12.50% exceeds" in text
    assert len(result.failures) == 3
    assert evaluate_manifests([m], DQThresholds(1.0, 1.0, 1.0)).passed


def test_no_manifest_or_no_records_fails() -> None:
    assert "no run manifest found" in evaluate_manifests([], T).message
    empty = manifest(
        read=0, valid=0, quarantined=0, filtered=0, human=0, bot=0, late=0, quarantined_by_reason={}
    )
    assert "read no records" in evaluate_manifests([empty], T).message


def test_malformed_manifests_are_reported_not_crashed_on() -> None:
    assert "no 'counts'" in check_manifest({"run_id": "x"})[0]
    assert "lack" in check_manifest({"run_id": "x", "counts": {"read": 1}})[0]
    reasons = manifest(quarantined_by_reason={"parse_error": 1})
    assert "quarantined_by_reason does not sum" in check_manifest(reasons)[0]


def test_thresholds_sum_over_runs() -> None:
    a = manifest("a", "2026-11-02", "2026-11-03")
    b = manifest(
        "b",
        "2026-11-03",
        "2026-11-04",
        quarantined=120,
        filtered=0,
        read=1080,
        quarantined_by_reason={"parse_error": 120},
    )
    result = evaluate_manifests([a, b], T)
    assert result.totals["quarantined"] == 140
    assert result.shares["quarantine"] == pytest.approx(140 / (1920 + 140))
    assert not result.passed and result.run_ids == ["a", "b"]


def test_select_keeps_the_latest_run_per_window_and_overlapping_windows() -> None:
    old = manifest("old", finished="2026-11-03T01:00:00Z")
    new = manifest("new", finished="2026-11-04T01:00:00Z")
    other_day = manifest("later", "2026-11-05", "2026-11-06")
    wide = manifest("wide", "2026-10-01", "2026-12-01")
    chosen = select_manifests([new, old, other_day, wide], DayWindow(date(2026, 11, 2), date(2026, 11, 3)))
    assert [m["run_id"] for m in chosen] == ["wide", "new"]
    assert select_manifests([{"run_id": "nowindow"}], DayWindow(date(2026, 11, 2), date(2026, 11, 3))) == []


def write_pointer(root: Path, *run_ids: str) -> None:
    """The Spark job's publish pointer naming these runs' manifests (docs/data-contract.md)."""
    rows = [{"dataset": "_pointer", "key": "1", "version": run_ids[-1], "status": "current"}]
    rows += [{"dataset": "manifests", "key": r, "version": r, "status": "current"} for r in run_ids]
    rows += [{"dataset": "events", "key": "2026-11-02", "version": "zzz", "status": "retired"}]
    (root / "_current.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_load_manifests_from_a_local_staging_dir(tmp_path: Path) -> None:
    mdir = tmp_path / "manifests"
    mdir.mkdir()
    (mdir / "run_id=a.json").write_text(json.dumps(manifest("a")))
    (mdir / "run_id=b.json").write_text(json.dumps(manifest("b", "2026-11-09", "2026-11-10")))
    (mdir / "notes.txt").write_text("ignored")
    write_pointer(tmp_path, "a", "b")
    assert [
        m["run_id"] for m in load_manifests(str(tmp_path), DayWindow(date(2026, 11, 2), date(2026, 11, 3)))
    ] == ["a"]
    assert [
        m["run_id"]
        for m in load_manifests(f"file://{tmp_path}", DayWindow(date(2026, 11, 1), date(2026, 11, 30)))
    ] == ["a", "b"]
    assert load_manifests(str(tmp_path / "nothing"), DayWindow(date(2026, 11, 2), date(2026, 11, 3))) == []
    (mdir / "run_id=c.json").write_text("{not json")
    write_pointer(tmp_path, "a", "b", "c")
    with pytest.raises(ManifestError, match=r"run_id=c.json .* not valid JSON"):
        load_manifests(str(tmp_path), DayWindow(date(2026, 11, 2), date(2026, 11, 3)))


def test_a_manifest_the_pointer_does_not_name_is_not_judged(tmp_path: Path) -> None:
    """A run killed while publishing wrote its manifest but not the pointer: its data is not what
    readers see, so the gate judges the published run of that window, not the newer unpublished one."""
    mdir = tmp_path / "manifests"
    mdir.mkdir()
    (mdir / "run_id=old.json").write_text(json.dumps(manifest("old", finished="2026-11-03T01:00:00Z")))
    (mdir / "run_id=killed.json").write_text(json.dumps(manifest("killed", finished="2026-11-04T01:00:00Z")))
    write_pointer(tmp_path, "old")
    assert [
        m["run_id"] for m in load_manifests(str(tmp_path), DayWindow(date(2026, 11, 2), date(2026, 11, 3)))
    ] == ["old"]
    write_pointer(tmp_path, "old", "killed")  # its pointer write: now it is the window's latest run
    assert [
        m["run_id"] for m in load_manifests(str(tmp_path), DayWindow(date(2026, 11, 2), date(2026, 11, 3)))
    ] == ["killed"]
    # a manifest removed by the bucket's retention is skipped: the window's published run still counts
    write_pointer(tmp_path, "old", "expired")
    assert [
        m["run_id"] for m in load_manifests(str(tmp_path), DayWindow(date(2026, 11, 2), date(2026, 11, 3)))
    ] == ["old"]


def test_manifests_without_a_pointer_are_the_old_layout(tmp_path: Path) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "run_id=a.json").write_text(json.dumps(manifest("a")))
    with pytest.raises(
        ManifestError, match=r"no _current\.jsonl: it was written before versioned publishing"
    ):
        load_manifests(str(tmp_path), DayWindow(date(2026, 11, 2), date(2026, 11, 3)))


def test_a_remote_root_without_fsspec_says_what_to_install() -> None:
    """Remote URIs go through fsspec (caec_pipeline.storage); the stdlib-only test venv has none."""
    with pytest.raises(ManifestError, match="needs fsspec"):
        load_manifests("gs://bucket/staging", DayWindow(date(2026, 11, 2), date(2026, 11, 3)))


def test_an_all_quarantined_run_fails_with_the_breakdown_whatever_the_threshold() -> None:
    """A wrong FORMAT quarantines everything: the verdict says so and names the reasons (issue 17, 4/8)."""
    wrong_format = manifest(
        read=10_000, valid=0, quarantined=10_000, filtered=0, human=0, bot=0, late=0,
        quarantined_by_reason={"parse_error": 10_000},
    )  # fmt: skip
    for limit in (0.05, 1.0):
        result = evaluate_manifests([wrong_format], DQThresholds(max_quarantine_share=limit))
        assert not result.passed and result.nothing_to_build
        assert result.quarantine_failure == (
            "all 10,000 records were quarantined: parse_error 10,000; "
            "is the input format right (make run FORMAT=..., --format, CAEC_INPUT_FORMAT)?"
        )
        assert result.quarantine_failure in result.message


def test_a_quarantine_share_over_the_threshold_lists_every_reason() -> None:
    m = manifest(
        read=1000, valid=700, quarantined=300, filtered=0, human=700, bot=0,
        quarantined_by_reason={"bad_timestamp": 100, "parse_error": 200},
    )  # fmt: skip
    failure = evaluate_manifests([m], T).quarantine_failure
    assert failure is not None and failure.startswith(
        "quarantine share 30.00% exceeds the threshold 5.00% (CAEC_DQ_MAX_QUARANTINE_SHARE): "
        "300 of 1,000 records were quarantined: parse_error 200, bad_timestamp 100;"
    )
    assert evaluate_manifests([m], DQThresholds(max_quarantine_share=0.3)).quarantine_failure is None
    assert evaluate_manifests([manifest()], T).quarantine_failure is None
