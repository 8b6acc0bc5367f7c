"""Local execution mode: the task bodies that run the pipeline on this machine.

The Spark job runs in Spark local mode from ``.venv/spark`` and dbt on DuckDB from ``.venv/dbt`` (each
made by its ``make`` target): the stages ``caec_pipeline.steps`` plans, run by the same stage runner as
``make run`` — the same argv the SparkApplication and the dbt pod receive in kubernetes mode.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from airflow.sdk import BaseSensorOperator

from caec_airflow.runtime import load_config, run_stage, window_of
from caec_pipeline.config import PipelineConfig, is_remote_uri, local_path
from caec_pipeline.steps import dbt_build_stage, sessionize_stage
from caec_pipeline.window import DayWindow

log = logging.getLogger(__name__)


def missing_local_days(cfg: PipelineConfig, window: DayWindow) -> list[date]:
    """Days of ``window`` whose raw folder ``<raw>/dt=YYYY-MM-DD/`` has no file yet."""
    if is_remote_uri(cfg.raw_uri):
        raise ValueError(
            f"CAEC_RAW_URI={cfg.raw_uri!r} is remote but CAEC_MODE=local checks local folders: "
            "use a local raw path, or CAEC_MODE=kubernetes for the GCS sensor"
        )
    missing = []
    for day in window:
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
        window = window_of(context)
        missing = missing_local_days(cfg, window)
        if missing:
            self.log.info("raw data not there yet for %s under %s", ", ".join(map(str, missing)), cfg.raw_uri)
            return False
        self.log.info("raw data present for %s under %s", window, cfg.raw_uri)
        return True


def sessionize_local(**context: Any) -> None:
    """Sessionize the window with the Spark job in local mode (dynamic partition overwrite per day)."""
    cfg = load_config()
    run_stage(sessionize_stage(cfg, window_of(context)))


def dbt_build_local(**context: Any) -> None:
    """``dbt build`` of the window's partitions on DuckDB (delete+insert of exactly those days)."""
    cfg = load_config()
    cfg.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    run_stage(dbt_build_stage(cfg, window_of(context)))
