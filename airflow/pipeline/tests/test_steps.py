from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from caec_pipeline import steps
from caec_pipeline.config import PipelineConfig
from caec_pipeline.window import DayWindow

ROOT = Path(__file__).resolve().parents[3]
D1, D2 = date(2026, 11, 2), date(2026, 11, 3)
W = DayWindow(D1, D2)


def test_sessionize_args_are_the_jobs_cli(cfg: PipelineConfig) -> None:
    args = steps.sessionize_args(cfg, W)
    assert args == [
        "sessionize",
        "--input", cfg.raw_uri,
        "--format", "jsonl",
        "--output", cfg.staging_uri,
        "--quarantine-output", cfg.quarantine_uri,
        "--start", "2026-11-02",
        "--end", "2026-11-03",
    ]  # fmt: skip
    own = steps.sessionize_args(cfg, W, input_uri="/logs/access.log.gz", input_format="combined")
    assert own[:5] == ["sessionize", "--input", "/logs/access.log.gz", "--format", "combined"]
    # the job never infers its window: every run passes it (caec_spark sessionize requires both)
    assert own[-4:] == ["--start", "2026-11-02", "--end", "2026-11-03"]


def test_local_stages_use_the_component_venvs(cfg: PipelineConfig) -> None:
    stage = steps.sessionize_stage(cfg, W)
    assert stage.argv[:3] == [str(ROOT / ".venv/spark/bin/python"), "-m", "caec_spark"]
    assert stage.argv[3:] == steps.sessionize_args(cfg, W)
    assert stage.env["CAEC_IDENTITY_SALT"] == cfg.identity_salt and stage.cwd == cfg.repo_root
    gen = steps.generate_stage(cfg, 1000, 7, DayWindow(D1, date(2026, 11, 5))).argv
    assert gen[:4] == [str(ROOT / ".venv/spark/bin/python"), "-m", "caec_spark_dev", "generate"]
    assert gen[gen.index("--events") + 1] == "1000" and gen[gen.index("--seed") + 1] == "7"
    assert gen[gen.index("--days") + 1] == "3" and gen[gen.index("--output") + 1] == cfg.raw_uri
    dbt = steps.dbt_build_stage(cfg, W)
    # dbt logs JSON lines locally: the stage runner reads its node counts from them
    assert dbt.argv[:4] == [str(ROOT / ".venv/dbt/bin/dbt"), "--log-format", "json", "build"]
    assert dbt.env["DBT_TARGET_PATH"] == str(cfg.data_dir / "dbt" / "target")
    dash = steps.dashboard_stage(cfg).argv
    assert dash[:4] == [str(ROOT / ".venv/dashboard/bin/python"), "-m", "caec_dashboard", "build"]
    assert dash[dash.index("--out") + 1] == str(cfg.dashboard_path)
    assert dash[dash.index("--duckdb") + 1] == str(cfg.duckdb_path)
    with pytest.raises(ValueError):
        steps.generate_stage(cfg, 0, 1, W)


def test_dbt_build_args_carry_the_interval(cfg: PipelineConfig) -> None:
    args = steps.dbt_build_args(cfg, W)
    assert args[0] == "build"
    assert args[args.index("--target") + 1] == "local"
    assert args[args.index("--project-dir") + 1] == str(ROOT / "dbt")
    assert args[args.index("--profiles-dir") + 1] == str(ROOT / "dbt")
    assert json.loads(args[args.index("--vars") + 1]) == {
        "start_date": "2026-11-02",
        "end_date": "2026-11-03",
    }
    pod = steps.dbt_build_args(cfg, W, project_dir="/opt/caec/dbt")
    assert pod[pod.index("--project-dir") + 1] == "/opt/caec/dbt"


def test_dbt_build_args_in_kubernetes_mode() -> None:
    cfg = PipelineConfig.from_env(
        {
            "CAEC_MODE": "kubernetes",
            "CAEC_RAW_URI": "gs://r",
            "CAEC_STAGING_URI": "gs://s",
            "CAEC_DBT_TARGET": "bigquery",
            "CAEC_GCP_PROJECT": "my-project",
            "CAEC_BQ_MARTS_DATASET": "caec_dev_marts",
        },
        repo_root=ROOT,
    )
    args = steps.dbt_build_args(cfg, W)
    assert args[args.index("--project-dir") + 1] == "dbt"
    assert args[args.index("--target") + 1] == "bigquery"
    env = steps.dbt_env(cfg)
    assert env["CAEC_BQ_MARTS_DATASET"] == "caec_dev_marts" and env["CAEC_STAGING_URI"] == "gs://s"
    assert env["CAEC_QUARANTINE_URI"] == "gs://s/quarantine"
    assert "PYSPARK_PYTHON" not in steps.spark_env(cfg)
    assert "--duckdb" not in steps.dashboard_args(cfg)


def test_dbt_env_has_what_profiles_read(cfg: PipelineConfig) -> None:
    env = steps.dbt_env(cfg)
    assert env["CAEC_DUCKDB_PATH"] == str(cfg.duckdb_path)
    assert env["CAEC_STAGING_URI"] == cfg.staging_uri
    assert env["CAEC_QUARANTINE_URI"] == cfg.quarantine_uri
    assert env["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"
    assert steps.spark_env(cfg)["CAEC_IDENTITY_SALT"] == cfg.identity_salt
