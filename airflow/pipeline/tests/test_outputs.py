"""A run replaces the previous outputs only when it succeeded (issue 17, item 4), on real files."""

from __future__ import annotations

from pathlib import Path

from caec_pipeline.config import PipelineConfig
from caec_pipeline.outputs import build_config, commit, plan_outputs, recover, roll_back, set_aside


def previous_run(cfg: PipelineConfig) -> None:
    """What a finished run leaves: staging (with quarantine inside), raw, a warehouse and a dashboard."""
    for rel in ("staging/events/part.parquet", "staging/quarantine/q.parquet", "raw/dt=2026-10-05/a.jsonl"):
        (cfg.data_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (cfg.data_dir / rel).write_text("old")
    cfg.duckdb_path.parent.mkdir(parents=True)
    cfg.duckdb_path.write_text("old warehouse")
    cfg.dashboard_path.write_text("old dashboard")


def new_run_writes(cfg: PipelineConfig) -> None:
    """The stages of a new run: in-place staging, the warehouse and dashboard at their build paths."""
    plan = plan_outputs(cfg, generating=True, keep_existing=False)
    (cfg.data_dir / "staging/events").mkdir(parents=True)
    (cfg.data_dir / "staging/events/part.parquet").write_text("new")
    build = build_config(cfg, plan)
    build.duckdb_path.write_text("new warehouse")
    dict(plan.built)[cfg.dashboard_path.resolve()].write_text("new dashboard")


def test_a_failed_run_leaves_the_previous_outputs_as_they_were(cfg: PipelineConfig, tmp_path: Path) -> None:
    previous_run(cfg)
    plan = plan_outputs(cfg, generating=True, keep_existing=False)
    set_aside(plan)
    # while the run goes on, people still have the previous warehouse and dashboard
    assert cfg.duckdb_path.read_text() == "old warehouse"
    assert cfg.dashboard_path.read_text() == "old dashboard"
    new_run_writes(cfg)
    roll_back(plan, tmp_path / "failed")
    assert (cfg.data_dir / "staging/events/part.parquet").read_text() == "old"
    assert (cfg.data_dir / "staging/quarantine/q.parquet").read_text() == "old"
    assert (cfg.data_dir / "raw/dt=2026-10-05/a.jsonl").read_text() == "old"
    assert cfg.duckdb_path.read_text() == "old warehouse"
    assert cfg.dashboard_path.read_text() == "old dashboard"
    assert (tmp_path / "failed/staging/events/part.parquet").read_text() == "new"  # kept to inspect
    assert not (cfg.data_dir / ".previous").exists() and not (cfg.duckdb_path.parent / ".next").exists()


def test_a_successful_run_swaps_its_outputs_in(cfg: PipelineConfig) -> None:
    previous_run(cfg)
    plan = plan_outputs(cfg, generating=True, keep_existing=False)
    set_aside(plan)
    new_run_writes(cfg)
    commit(plan)
    assert cfg.duckdb_path.read_text() == "new warehouse"
    assert cfg.dashboard_path.read_text() == "new dashboard"
    assert (cfg.data_dir / "staging/events/part.parquet").read_text() == "new"
    assert not (cfg.data_dir / "staging/quarantine").exists()  # the previous run's rows are gone
    assert not (cfg.data_dir / ".previous").exists() and not (cfg.duckdb_path.parent / ".next").exists()


def test_a_killed_run_is_recovered_by_the_next(cfg: PipelineConfig) -> None:
    """SIGKILL leaves no chance to roll back: the next run puts the previous outputs back first."""
    previous_run(cfg)
    plan = plan_outputs(cfg, generating=True, keep_existing=False)
    set_aside(plan)
    new_run_writes(cfg)  # ... and then the run is killed
    assert recover(plan_outputs(cfg, generating=False, keep_existing=True))
    assert (cfg.data_dir / "staging/events/part.parquet").read_text() == "old"
    assert (cfg.data_dir / "raw/dt=2026-10-05/a.jsonl").read_text() == "old"
    assert not recover(plan)


def test_keep_existing_builds_on_a_copy_of_the_warehouse(cfg: PipelineConfig) -> None:
    previous_run(cfg)
    plan = plan_outputs(cfg, generating=True, keep_existing=True)
    set_aside(plan)
    assert build_config(cfg, plan).duckdb_path.read_text() == "old warehouse"
    assert (cfg.data_dir / "staging/events/part.parquet").read_text() == "old"  # nothing set aside
