from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from caec_pipeline import steps
from caec_pipeline.config import PipelineConfig

ROOT = Path(__file__).resolve().parents[3]
D1, D2 = date(2026, 11, 2), date(2026, 11, 3)


def test_interval_days_for_a_daily_schedule() -> None:
    start = datetime(2026, 11, 2, tzinfo=UTC)
    assert steps.interval_days(start, start + timedelta(days=1)) == (D1, D2)


def test_interval_days_round_outwards_and_convert_to_utc() -> None:
    cet = timezone(timedelta(hours=1))
    # 2026-11-02 00:30 CET is 2026-11-01 23:30 UTC; an end mid-day covers that day
    assert steps.interval_days(
        datetime(2026, 11, 2, 0, 30, tzinfo=cet), datetime(2026, 11, 2, 12, tzinfo=UTC)
    ) == (
        date(2026, 11, 1),
        D2,
    )
    # a zero-length interval (manual trigger) still covers its day
    moment = datetime(2026, 11, 2, 6)
    assert steps.interval_days(moment, moment) == (D1, D2)
    assert steps.interval_days(D1, date(2026, 11, 5)) == (D1, date(2026, 11, 5))


def test_iter_days_and_range_checks() -> None:
    assert list(steps.iter_days(D1, date(2026, 11, 5))) == [D1, D2, date(2026, 11, 4)]
    with pytest.raises(ValueError, match=r"END is exclusive.*END=2026-11-03"):
        steps.check_range(D1, D1)
    with pytest.raises(ValueError, match="expected YYYY-MM-DD"):
        steps.parse_day("02/11/2026")


def test_sessionize_args_are_the_jobs_cli(cfg: PipelineConfig) -> None:
    args = steps.sessionize_args(cfg, D1, D2)
    assert args == [
        "sessionize",
        "--input", cfg.raw_uri,
        "--format", "jsonl",
        "--output", cfg.staging_uri,
        "--quarantine-output", cfg.quarantine_uri,
        "--start", "2026-11-02",
        "--end", "2026-11-03",
    ]  # fmt: skip
    own = steps.sessionize_args(cfg, None, None, input_uri="/logs/access.log.gz", input_format="combined")
    assert own[:5] == ["sessionize", "--input", "/logs/access.log.gz", "--format", "combined"]
    assert "--start" not in own
    with pytest.raises(ValueError, match="both START and END"):
        steps.sessionize_args(cfg, D1, None)
    with pytest.raises(ValueError, match="END is exclusive"):
        steps.sessionize_args(cfg, D2, D1)


def test_local_commands_use_the_component_venvs(cfg: PipelineConfig) -> None:
    command = steps.sessionize_command(cfg, D1, D2)
    assert command[:3] == [str(ROOT / ".venv/spark/bin/python"), "-m", "caec_spark"]
    assert command[3:] == steps.sessionize_args(cfg, D1, D2)
    gen = steps.generate_command(cfg, 1000, 7, D1, 3)
    assert gen[:4] == [str(ROOT / ".venv/spark/bin/python"), "-m", "caec_spark_dev", "generate"]
    assert gen[gen.index("--events") + 1] == "1000" and gen[gen.index("--seed") + 1] == "7"
    assert gen[gen.index("--output") + 1] == cfg.raw_uri
    assert steps.dbt_build_command(cfg, D1, D2)[0] == str(ROOT / ".venv/dbt/bin/dbt")
    dash = steps.dashboard_command(cfg)
    assert dash[:4] == [str(ROOT / ".venv/dashboard/bin/python"), "-m", "caec_dashboard", "build"]
    assert dash[dash.index("--out") + 1] == str(cfg.dashboard_path)
    assert dash[dash.index("--duckdb") + 1] == str(cfg.duckdb_path)
    with pytest.raises(ValueError):
        steps.generate_command(cfg, 0, 1, D1, 3)


def test_dbt_build_args_carry_the_interval(cfg: PipelineConfig) -> None:
    args = steps.dbt_build_args(cfg, D1, D2)
    assert args[0] == "build"
    assert args[args.index("--target") + 1] == "local"
    assert args[args.index("--project-dir") + 1] == str(ROOT / "dbt")
    assert args[args.index("--profiles-dir") + 1] == str(ROOT / "dbt")
    assert json.loads(args[args.index("--vars") + 1]) == {
        "start_date": "2026-11-02",
        "end_date": "2026-11-03",
    }
    pod = steps.dbt_build_args(cfg, D1, D2, project_dir="/opt/caec/dbt")
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
    args = steps.dbt_build_args(cfg, D1, D2)
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
