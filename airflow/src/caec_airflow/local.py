"""Local execution mode: the task bodies that run the pipeline on this machine.

The Spark job runs in Spark local mode from ``.venv/spark`` and dbt on DuckDB from ``.venv/dbt`` (each
made by its ``make`` target), exactly the commands ``caec_pipeline.steps`` defines — the same argv the
SparkApplication and the dbt pod receive in kubernetes mode.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date
from typing import Any

from airflow.sdk import BaseSensorOperator

from caec_airflow.runtime import load_config, require_venv, run_logged
from caec_airflow.window import window_from_context
from caec_pipeline.config import PipelineConfig, is_remote_uri, local_path
from caec_pipeline.steps import dbt_build_command, dbt_env, iter_days, sessionize_command, spark_env

log = logging.getLogger(__name__)


def missing_local_days(cfg: PipelineConfig, start: date, end: date) -> list[date]:
    """Days of ``[start, end)`` whose raw folder ``<raw>/dt=YYYY-MM-DD/`` has no file yet."""
    if is_remote_uri(cfg.raw_uri):
        raise ValueError(
            f"CAEC_RAW_URI={cfg.raw_uri!r} is remote but CAEC_MODE=local checks local folders: "
            "use a local raw path, or CAEC_MODE=kubernetes for the GCS sensor"
        )
    missing = []
    for day in iter_days(start, end):
        folder = local_path(cfg.raw_day_uri(day.isoformat()))
        if not (
            folder.is_dir()
            and any(p.is_file() and not p.name.startswith((".", "_")) for p in folder.rglob("*"))
        ):
            missing.append(day)
    return missing


class LocalRawDataSensor(BaseSensorOperator):
    """Wait until every day of the run's window has raw files under ``<raw>/dt=YYYY-MM-DD/``.

    The local twin of the deferrable GCS prefix sensor: same task id, same window, local folders.
    """

    def poke(self, context: Any) -> bool:
        cfg = load_config()
        start, end = window_from_context(context)
        missing = missing_local_days(cfg, start, end)
        if missing:
            self.log.info("raw data not there yet for %s under %s", ", ".join(map(str, missing)), cfg.raw_uri)
            return False
        self.log.info("raw data present for [%s, %s) under %s", start, end, cfg.raw_uri)
        return True


def sessionize_local(**context: Any) -> None:
    """Sessionize the window with the Spark job in local mode (dynamic partition overwrite per day)."""
    cfg = load_config()
    start, end = window_from_context(context)
    require_venv(cfg, "spark")
    env = {**cfg.to_env(), **spark_env(cfg)}
    run_logged(sessionize_command(cfg, start, end), env=env, cwd=cfg.repo_root, what="sessionize")


def dbt_local_env(cfg: PipelineConfig) -> Mapping[str, str]:
    """dbt's env plus per-data-dir target/log paths (parallel runs never share dbt/target)."""
    return {
        **dbt_env(cfg),
        "DBT_TARGET_PATH": str(cfg.data_dir / "dbt" / "target"),
        "DBT_LOG_PATH": str(cfg.data_dir / "dbt" / "logs"),
    }


def dbt_build_local(**context: Any) -> None:
    """``dbt build`` of the window's partitions on DuckDB (delete+insert of exactly those days)."""
    cfg = load_config()
    start, end = window_from_context(context)
    require_venv(cfg, "dbt")
    cfg.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    run_logged(
        dbt_build_command(cfg, start, end), env=dbt_local_env(cfg), cwd=cfg.repo_root, what="dbt build"
    )
