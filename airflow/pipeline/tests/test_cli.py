"""CLI behaviour through main(): exit codes, messages, gate and publish on real manifest files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from caec_pipeline.cli import main
from caec_pipeline.outputs import plan_outputs
from caec_pipeline.runner import RunOptions, run_window
from caec_pipeline.window import DayWindow

from .test_dq import manifest, write_pointer


@pytest.fixture
def staging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAEC_DATA_DIR", str(tmp_path / "data"))
    for var in ("CAEC_MODE", "CAEC_STAGING_URI", "CAEC_DQ_MAX_BOT_SHARE"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "data" / "staging"
    (path / "manifests").mkdir(parents=True)
    return path


def write(staging: Path, m: dict[str, Any]) -> None:
    """Publish a run's manifest as the Spark job does: the file, then the pointer naming every run's."""
    (staging / "manifests" / f"run_id={m['run_id']}.json").write_text(json.dumps(m))
    runs = sorted(
        p.name[len("run_id=") : -len(".json")] for p in (staging / "manifests").glob("run_id=*.json")
    )
    write_pointer(staging, *runs)


def test_help_lists_every_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "caec_pipeline", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("run", "dq-gate", "publish", "config"):
        assert command in proc.stdout
    run_help = subprocess.run(
        [sys.executable, "-m", "caec_pipeline", "run", "--help"], capture_output=True, text=True, check=True
    )
    for flag in ("--input", "--format", "--events", "--seed", "--start", "--end", "--open"):
        assert flag in run_help.stdout


def test_bad_usage_exits_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--start", "yesterday"])
    assert exc.value.code == 2
    assert "expected YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--events", "-5"])
    assert "must be positive" in capsys.readouterr().err


def test_bad_config_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CAEC_MODE", "cloud")
    assert main(["config"]) == 2
    assert "CAEC_MODE='cloud'" in capsys.readouterr().err


def test_run_rejects_a_missing_input_before_doing_anything(
    staging: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--input", str(staging / "nope.log"), "--format", "combined"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_run_rejects_half_a_window(staging: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = staging / "access.log"
    log.write_text("x\n")
    assert main(["run", "--input", str(log), "--format", "combined", "--start", "2026-11-02"]) == 2
    assert "both --start and --end" in capsys.readouterr().err


def test_dq_gate_and_publish(staging: Path, capsys: pytest.CaptureFixture[str]) -> None:
    window = ["--start", "2026-11-02", "--end", "2026-11-03"]
    assert main(["dq-gate", *window]) == 1
    assert "no run manifest found" in capsys.readouterr().out
    write(staging, manifest("good"))
    assert main(["dq-gate", *window]) == 0
    assert "data-quality gate passed (good)" in capsys.readouterr().out
    assert main(["publish", *window, "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["passed"] and verdict["totals"]["read"] == 1000
    marker = json.loads((staging / "_published" / "dt=2026-11-02.json").read_text())
    assert marker["day"] == "2026-11-02" and marker["dq"]["passed"]
    # a newer, failing re-run of the same day replaces the verdict: no publish
    write(staging, manifest("rerun", finished="2026-11-09T00:00:00Z", bot=700, human=260))
    assert main(["publish", *window]) == 1
    out = capsys.readouterr().out
    assert "FAILED (rerun)" in out and "bot share" in out


def test_sample_window_and_clearing_is_confined_to_the_data_dir(staging: Path) -> None:
    from datetime import date

    from caec_pipeline.config import PipelineConfig

    assert run_window(RunOptions(days=3), "jsonl") == (DayWindow(date(2026, 10, 5), date(2026, 10, 8)), "")
    asked = RunOptions(start=date(2026, 1, 1), end=date(2026, 1, 3))
    assert run_window(asked, "jsonl") == (DayWindow(date(2026, 1, 1), date(2026, 1, 3)), "")
    with pytest.raises(ValueError, match="is remote: pass --start and --end"):
        run_window(RunOptions(input_uri="gs://bucket/logs"), "jsonl")
    cfg = PipelineConfig.from_env()
    data = cfg.data_dir.resolve()
    plan = plan_outputs(cfg, generating=True, keep_existing=False)
    assert set(plan.in_place) == {Path("raw"), Path("staging")}  # quarantine moves with staging
    assert all(data in final.parents for final, _ in plan.built)
    assert Path("raw") not in plan_outputs(cfg, generating=False, keep_existing=False).in_place
    assert plan_outputs(cfg, generating=True, keep_existing=True).in_place == ()
