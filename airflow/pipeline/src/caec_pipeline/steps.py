"""The pipeline's steps as argv lists: one definition shared by the laptop runner and the Airflow DAG.

Pure functions of (config, dates): no I/O, no environment reads. ``*_args`` are what the job receives
(also the SparkApplication ``arguments`` and the KubernetesPodOperator ``arguments``); ``*_command``
prefixes them with the local virtual environment's interpreter for local mode. Keeping both in one
module is what makes "the same pipeline locally and on GKE" true rather than aspirational.

Dates: every step takes the run's :class:`~caec_pipeline.window.DayWindow` (``[start, end)``, made and
checked once at the edge) and passes it on as ``--start/--end``: no step guesses or re-checks it.

The ``*_stage`` functions are the plan: a :class:`Stage` per step (argv, environment, working folder).
``make run`` runs a list of them and the DAG's local-mode tasks run one each, through the same runner
(:func:`caec_pipeline.runner.execute`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from caec_pipeline.config import PipelineConfig
from caec_pipeline.window import DayWindow

# ---------------------------------------------------------------------------- stages


@dataclass(frozen=True)
class Stage:
    """One step as a child process: what to run, in which environment; ``key`` names its log."""

    key: str
    title: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None


# ---------------------------------------------------------------------------- Spark


def sessionize_args(
    cfg: PipelineConfig,
    window: DayWindow,
    *,
    input_uri: str | None = None,
    input_format: str | None = None,
) -> list[str]:
    """Arguments of ``python -m caec_spark`` for one run over ``window``.

    Also the SparkApplication's ``arguments`` (the image's main file is caec_spark's entry point).
    ``input_uri`` defaults to the raw root (``<raw>/dt=YYYY-MM-DD/`` day folders below it); pass a file or
    folder to sessionize your own logs. The window is always given: the job never infers one.
    """
    return [
        "sessionize",
        "--input",
        input_uri or cfg.raw_uri,
        "--format",
        input_format or cfg.input_format,
        "--output",
        cfg.staging_uri,
        "--quarantine-output",
        cfg.quarantine_uri,
        *window.args(),
    ]


def sessionize_stage(
    cfg: PipelineConfig,
    window: DayWindow,
    *,
    input_uri: str | None = None,
    input_format: str | None = None,
) -> Stage:
    """Local mode: the job with the spark venv's interpreter (Spark local mode)."""
    args = sessionize_args(cfg, window, input_uri=input_uri, input_format=input_format)
    return spark_stage(cfg, "sessionize", "sessionize", args)


def spark_stage(
    cfg: PipelineConfig, key: str, title: str, args: list[str], module: str = "caec_spark"
) -> Stage:
    """Local mode: ``python -m <module> <args>`` in the spark venv, with the job's environment.

    ``module`` is the job (``caec_spark``) or the dev tooling beside it (``caec_spark_dev``: the sample
    generator), which the Spark image does not ship.
    """
    argv = [str(cfg.venv_python("spark")), "-m", module, *args]
    return Stage(key, title, argv, {**cfg.to_env(), **spark_env(cfg)}, cfg.repo_root)


def spark_env(cfg: PipelineConfig) -> dict[str, str]:
    """Environment of the Spark job (local process or driver/executor pods): salt and pipeline names.

    Only a local process binds Spark to loopback and pins the venv's interpreter: in pods the driver
    must be reachable by its executors and the image chooses its Python.
    """
    local = {"SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": str(cfg.venv_python("spark"))}
    return {"CAEC_IDENTITY_SALT": cfg.identity_salt, "CAEC_ENV": cfg.env} | (local if cfg.is_local else {})


def generate_args(cfg: PipelineConfig, events: int, seed: int, window: DayWindow) -> list[str]:
    """Arguments of ``python -m caec_spark_dev generate``: synthetic raw logs of ``window`` under the raw root."""
    if events <= 0:
        raise ValueError(f"--events must be positive, got {events}")
    return [
        "generate",
        "--events",
        str(events),
        "--format",
        cfg.input_format,
        "--seed",
        str(seed),
        "--start",
        window.start.isoformat(),
        "--days",
        str(window.days),
        "--output",
        cfg.raw_uri,
    ]


def generate_stage(cfg: PipelineConfig, events: int, seed: int, window: DayWindow) -> Stage:
    """Local mode: the generator in the spark venv."""
    return spark_stage(
        cfg, "generate", "generate sample data", generate_args(cfg, events, seed, window), "caec_spark_dev"
    )


# ---------------------------------------------------------------------------- dbt


def dbt_vars(window: DayWindow) -> dict[str, str]:
    """dbt ``--vars`` for a run: the half-open day range the marts rebuild."""
    return {"start_date": window.start.isoformat(), "end_date": window.end.isoformat()}


def dbt_project_args(cfg: PipelineConfig, project_dir: str | None = None) -> list[str]:
    """Where dbt finds the project and profiles, and the target: the options every dbt command takes."""
    directory = project_dir or (str(cfg.dbt_project_dir) if cfg.is_local else "dbt")
    return ["--project-dir", directory, "--profiles-dir", directory, "--target", cfg.dbt_target]


def dbt_build_args(cfg: PipelineConfig, window: DayWindow, *, project_dir: str | None = None) -> list[str]:
    """Arguments after ``dbt`` (also the KubernetesPodOperator's ``arguments``).

    ``project_dir`` defaults to the checkout's ``dbt/`` in local mode and to ``dbt`` (relative to the
    image's working directory) in kubernetes mode; profiles live next to the project in both.
    """
    return [
        "build",
        *dbt_project_args(cfg, project_dir),
        "--vars",
        json.dumps(dbt_vars(window), separators=(",", ":")),
    ]


def dbt_stage(cfg: PipelineConfig, key: str, title: str, args: list[str]) -> Stage:
    """Local mode: ``dbt <args>`` from the dbt venv, logging JSON lines the runner reads progress from.

    dbt's target and log folders live under the data dir, so parallel runs never share ``dbt/target``.
    """
    argv = [str(cfg.venv_bin("dbt", "dbt")), "--log-format", "json", *args]
    env = {
        **dbt_env(cfg),
        "DBT_TARGET_PATH": str(cfg.data_dir / "dbt" / "target"),
        "DBT_LOG_PATH": str(cfg.data_dir / "dbt" / "logs"),
    }
    return Stage(key, title, argv, env, cfg.repo_root)


def dbt_build_stage(cfg: PipelineConfig, window: DayWindow) -> Stage:
    """Local mode: ``dbt build`` of the window on DuckDB."""
    return dbt_stage(cfg, "dbt", "dbt build", dbt_build_args(cfg, window))


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
        # No colour codes: pod logs have no terminal (local runs read dbt's JSON log lines).
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


def dashboard_stage(cfg: PipelineConfig, out: Path | None = None) -> Stage:
    """Local: the dashboard generator in its own venv (duckdb + BigQuery client)."""
    argv = [str(cfg.venv_python("dashboard")), "-m", "caec_dashboard", *dashboard_args(cfg, out)]
    return Stage("dashboard", "dashboard", argv, dashboard_env(cfg), cfg.repo_root)


def dashboard_env(cfg: PipelineConfig) -> dict[str, str]:
    return {
        "CAEC_DUCKDB_PATH": str(cfg.duckdb_path),
        "CAEC_GCP_PROJECT": cfg.gcp_project,
        "CAEC_BQ_LOCATION": cfg.bq_location,
        "CAEC_BQ_MARTS_DATASET": cfg.bq_marts_dataset,
    }
