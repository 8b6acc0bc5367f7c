"""Local retention: the pure decision, the edge that deletes real folders, and `run`'s use of it."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from caec_pipeline.config import PipelineConfig
from caec_pipeline.retention import (
    RETENTION_ENV,
    Partition,
    apply_local_retention,
    parse_retention_days,
    past_retention,
)
from caec_pipeline.runner import RunOptions, run_pipeline

TODAY = date(2026, 12, 4)


def test_a_day_is_kept_for_exactly_its_layers_days() -> None:
    parts = [
        Partition("raw", date(2026, 11, 4), Path("raw/dt=2026-11-04")),  # 30 days before TODAY
        Partition("raw", date(2026, 11, 5), Path("raw/dt=2026-11-05")),  # 29 days before
        Partition("staging", date(2020, 1, 1), Path("staging/events/event_date=2020-01-01")),
        Partition("quarantine", date(2026, 12, 3), Path("q/ingest_date=2026-12-03")),
    ]
    days = {"raw": 30, "staging": 0, "quarantine": 1}
    assert past_retention(parts, days, TODAY) == [parts[3], parts[0]]
    # A layer without days (or 0) is kept forever, like a bucket without a lifecycle rule.
    assert past_retention(parts, {}, TODAY) == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("30", "JSON object"),
        ("{raw: 30}", "not JSON"),
        ('{"raws": 30}', "unknown layers"),
        ('{"raw": -1}', "whole days"),
        ('{"raw": 1.5}', "whole days"),
        ('{"raw": true}', "whole days"),
    ],
)
def test_bad_settings_fail_with_the_fix(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_retention_days(raw)


def test_settings_parse() -> None:
    assert parse_retention_days("") == {}
    assert parse_retention_days('{"raw": 30, "marts": 0}') == {"raw": 30, "marts": 0}


def make_day_folders(cfg: PipelineConfig, days: list[str]) -> list[Path]:
    staging = Path(cfg.staging_uri)
    folders = []
    for day in days:
        for folder in (
            Path(cfg.raw_uri) / f"dt={day}",
            staging / "events" / f"event_date={day}",
            staging / "sessions" / f"session_date={day}",
            Path(cfg.quarantine_uri) / f"ingest_date={day}",
        ):
            folder.mkdir(parents=True)
            (folder / "part-0.parquet").write_bytes(b"x")
            folders.append(folder)
    return folders


def test_local_partitions_past_retention_are_deleted_and_reported(cfg: PipelineConfig) -> None:
    make_day_folders(cfg, ["2026-10-01", "2026-11-20"])
    (Path(cfg.staging_uri) / "_state").mkdir()  # not a day partition: never touched
    lines = apply_local_retention(cfg, {RETENTION_ENV: '{"raw": 30, "quarantine": 10}'}, TODAY)
    assert lines == [
        f"  retention: removed 1 raw partition(s) older than 30 days (2026-10-01 .. 2026-10-01; {RETENTION_ENV})",
        f"  retention: removed 2 quarantine partition(s) older than 10 days (2026-10-01 .. 2026-11-20; {RETENTION_ENV})",
    ]
    assert not (Path(cfg.raw_uri) / "dt=2026-10-01").exists()
    assert (Path(cfg.raw_uri) / "dt=2026-11-20").is_dir()
    assert sorted(p.name for p in (Path(cfg.staging_uri) / "events").iterdir()) == [
        "event_date=2026-10-01",
        "event_date=2026-11-20",
    ]
    assert not any(Path(cfg.quarantine_uri).glob("ingest_date=*"))
    assert (Path(cfg.staging_uri) / "_state").is_dir()
    # Unset: the laptop default keeps everything.
    assert apply_local_retention(cfg, {}, TODAY) == []
    assert (Path(cfg.raw_uri) / "dt=2026-11-20").is_dir()


def test_run_applies_the_setting_before_any_stage(
    cfg: PipelineConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` honours CAEC_RETENTION_DAYS: a bad value stops the run before generating anything."""
    monkeypatch.setenv(RETENTION_ENV, '{"raw": "thirty"}')
    with pytest.raises(ValueError, match=RETENTION_ENV):
        run_pipeline(cfg, RunOptions(), io.StringIO())
    assert not Path(cfg.raw_uri).exists()
