"""The pipeline's steps as argv lists: one definition shared by the laptop runner and the Airflow DAG.

Pure functions of (config, dates): no I/O, no environment reads. ``*_args`` are what the job receives
(also the SparkApplication ``arguments`` and the KubernetesPodOperator ``arguments``); ``*_command``
prefixes them with the local virtual environment's interpreter for local mode. Keeping both in one
module is what makes "the same pipeline locally and on GKE" true rather than aspirational.

Dates: every step works on a half-open day range ``[start, end)``: ``end`` is exclusive, exactly like
Airflow's data interval (a daily run for 2026-11-02 has start=2026-11-02, end=2026-11-03).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from caec_pipeline.config import PipelineConfig

# ---------------------------------------------------------------------------- day helpers


def parse_day(text: str) -> date:
    """Parse ``YYYY-MM-DD`` with an error that says what was expected."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date: expected YYYY-MM-DD, e.g. 2026-11-02") from None


def interval_days(
    data_interval_start: datetime | date, data_interval_end: datetime | date
) -> tuple[date, date]:
    """Map an Airflow data interval to the day range ``[start, end)`` it covers (UTC days).

    A daily schedule gives exactly one day; an interval ending mid-day covers the day it ends in, so
    no hour of data is left out. Naive datetimes are taken as UTC.
    """
    start = _utc_day(data_interval_start, round_up=False)
    end = _utc_day(data_interval_end, round_up=True)
    if end <= start:
        end = start + timedelta(days=1)
    return start, end


def _utc_day(value: datetime | date, *, round_up: bool) -> date:
    if not isinstance(value, datetime):
        return value
    moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    day = moment.date()
    midnight = moment.hour == moment.minute == moment.second == moment.microsecond == 0
    return day + timedelta(days=1) if round_up and not midnight else day


def iter_days(start: date, end: date) -> Iterator[date]:
    """Every day of ``[start, end)``."""
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def check_range(start: date, end: date) -> None:
    """Reject empty or inverted ranges early, with the fix in the message."""
    if end <= start:
        raise ValueError(
            f"empty date range [{start}, {end}): END is exclusive, so it must be after START "
            f"(for the single day {start} use END={start + timedelta(days=1)})"
        )


# ---------------------------------------------------------------------------- Spark


def sessionize_args(
    cfg: PipelineConfig,
    start: date | None,
    end: date | None,
    *,
    input_uri: str | None = None,
    input_format: str | None = None,
) -> list[str]:
    """Arguments of ``python -m caec_spark`` for one run over ``[start, end)``.

    Also the SparkApplication's ``arguments`` (the image's main file is caec_spark's entry point).
    ``input_uri`` defaults to the raw root (``<raw>/dt=YYYY-MM-DD/`` day folders below it); pass a file or
    folder to sessionize your own logs. ``start``/``end`` may both be None only for such ad-hoc runs:
    the job then takes the window from the data (the DAG always passes its interval).
    """
    args = [
        "sessionize",
        "--input",
        input_uri or cfg.raw_uri,
        "--format",
        input_format or cfg.input_format,
        "--output",
        cfg.staging_uri,
        "--quarantine-output",
        cfg.quarantine_uri,
    ]
    if start is None and end is None:
        return args
    if start is None or end is None:
        raise ValueError(
            "give both START and END (END exclusive), or neither to take the window from the data"
        )
    check_range(start, end)
    return [*args, "--start", start.isoformat(), "--end", end.isoformat()]


def sessionize_command(
    cfg: PipelineConfig,
    start: date | None,
    end: date | None,
    *,
    input_uri: str | None = None,
    input_format: str | None = None,
) -> list[str]:
    """Local mode: run the job with the spark venv's interpreter (Spark local mode)."""
    return [
        str(cfg.venv_python("spark")),
        "-m",
        "caec_spark",
        *sessionize_args(cfg, start, end, input_uri=input_uri, input_format=input_format),
    ]


def spark_env(cfg: PipelineConfig) -> dict[str, str]:
    """Environment of the Spark job (local process or driver/executor pods): salt and pipeline names.

    Only a local process binds Spark to loopback and pins the venv's interpreter: in pods the driver
    must be reachable by its executors and the image chooses its Python.
    """
    local = {"SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": str(cfg.venv_python("spark"))}
    return {"CAEC_IDENTITY_SALT": cfg.identity_salt, "CAEC_ENV": cfg.env} | (local if cfg.is_local else {})


def generate_args(cfg: PipelineConfig, events: int, seed: int, start: date, days: int) -> list[str]:
    """Arguments of ``python -m caec_spark_dev generate``: synthetic raw logs under the raw root."""
    if events <= 0:
        raise ValueError(f"--events must be positive, got {events}")
    if days <= 0:
        raise ValueError(f"--days must be positive, got {days}")
    return [
        "generate",
        "--events",
        str(events),
        "--format",
        cfg.input_format,
        "--seed",
        str(seed),
        "--start",
        start.isoformat(),
        "--days",
        str(days),
        "--output",
        cfg.raw_uri,
    ]


def generate_command(cfg: PipelineConfig, events: int, seed: int, start: date, days: int) -> list[str]:
    """Local mode: the generator in the spark venv."""
    return [
        str(cfg.venv_python("spark")),
        "-m",
        "caec_spark_dev",
        *generate_args(cfg, events, seed, start, days),
    ]


# ---------------------------------------------------------------------------- dbt


def dbt_vars(start: date, end: date) -> dict[str, str]:
    """dbt ``--vars`` for a run: the half-open day range the marts rebuild."""
    check_range(start, end)
    return {"start_date": start.isoformat(), "end_date": end.isoformat()}


def dbt_project_args(cfg: PipelineConfig, project_dir: str | None = None) -> list[str]:
    """Where dbt finds the project and profiles, and the target: the options every dbt command takes."""
    directory = project_dir or (str(cfg.dbt_project_dir) if cfg.is_local else "dbt")
    return ["--project-dir", directory, "--profiles-dir", directory, "--target", cfg.dbt_target]


def dbt_build_args(
    cfg: PipelineConfig, start: date, end: date, *, project_dir: str | None = None
) -> list[str]:
    """Arguments after ``dbt`` (also the KubernetesPodOperator's ``arguments``).

    ``project_dir`` defaults to the checkout's ``dbt/`` in local mode and to ``dbt`` (relative to the
    image's working directory) in kubernetes mode; profiles live next to the project in both.
    """
    return [
        "build",
        *dbt_project_args(cfg, project_dir),
        "--vars",
        json.dumps(dbt_vars(start, end), separators=(",", ":")),
    ]


def dbt_build_command(cfg: PipelineConfig, start: date, end: date) -> list[str]:
    """Local mode: dbt from the dbt venv."""
    return [str(cfg.venv_bin("dbt", "dbt")), *dbt_build_args(cfg, start, end)]


def dbt_env(cfg: PipelineConfig) -> dict[str, str]:
    """Environment dbt's profiles.yml and sources read (same keys locally and in the dbt pod)."""
    return {
        "CAEC_ENV": cfg.env,
        "CAEC_STAGING_URI": cfg.staging_uri,
        "CAEC_QUARANTINE_URI": cfg.quarantine_uri,
        "CAEC_DUCKDB_PATH": str(cfg.duckdb_path),
        "CAEC_GCP_PROJECT": cfg.gcp_project,
        "CAEC_BQ_LOCATION": cfg.bq_location,
        "CAEC_BQ_STAGING_DATASET": cfg.bq_staging_dataset,
        "CAEC_BQ_MARTS_DATASET": cfg.bq_marts_dataset,
        # Always a JSON object: the models run fromjson() on it, and "" would not parse.
        "CAEC_BQ_POLICY_TAGS": json.dumps(cfg.policy_tags, sort_keys=True, separators=(",", ":")),
        # Plain logs: the runner parses dbt's lines, and pod logs have no terminal.
        "DBT_USE_COLORS": "false",
        # No phoning home from laptops, CI or pods.
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }


# ---------------------------------------------------------------------------- dashboard


def dashboard_args(cfg: PipelineConfig, out: Path | None = None) -> list[str]:
    """Arguments of ``python -m caec_dashboard``: same target as dbt, HTML file under the data dir.

    ``out`` overrides the file: ``run`` builds the page beside the previous one and swaps it in.
    """
    args = ["build", "--target", cfg.dbt_target, "--out", str(out or cfg.dashboard_path)]
    if cfg.dbt_target == "local":
        args += ["--duckdb", str(cfg.duckdb_path)]
    return args


def dashboard_command(cfg: PipelineConfig, out: Path | None = None) -> list[str]:
    """Local: the dashboard generator in its own venv (duckdb + BigQuery client)."""
    return [str(cfg.venv_python("dashboard")), "-m", "caec_dashboard", *dashboard_args(cfg, out)]


def dashboard_env(cfg: PipelineConfig) -> dict[str, str]:
    return {
        "CAEC_DUCKDB_PATH": str(cfg.duckdb_path),
        "CAEC_GCP_PROJECT": cfg.gcp_project,
        "CAEC_BQ_LOCATION": cfg.bq_location,
        "CAEC_BQ_MARTS_DATASET": cfg.bq_marts_dataset,
    }
