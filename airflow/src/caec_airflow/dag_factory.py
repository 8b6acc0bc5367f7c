"""Build the ``clickstream_daily`` DAG: one task graph, two execution modes.

    wait_for_raw -> sessionize -> dbt_build -> dq_gate -> publish

``CAEC_MODE=local`` (default): the tasks run the Spark job (local mode) and dbt (DuckDB) from the
repo's venvs. ``CAEC_MODE=kubernetes``: a deferrable GCS sensor, a SparkApplication through the Spark
Operator and a dbt pod. The mode is the only setting read while the DAG is parsed — it picks the
operator classes; every name, URI and threshold is read by the tasks at run time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import DAG, CronDataIntervalTimetable, Param

from caec_airflow import DAG_ID
from caec_airflow.alerts import CaecAlertNotifier
from caec_airflow.gate import Notifier, dq_gate, make_failure_callback, make_publish
from caec_airflow.spark_app import SparkSizing
from caec_pipeline.config import MODES
from caec_pipeline.window import PARAM_END, PARAM_START

TASK_IDS = ("wait_for_raw", "sessionize", "dbt_build", "dq_gate", "publish")
# First day the schedule covers; catchup fills every day since (manual ranges go further back).
DEFAULT_START_DATE = datetime(2026, 11, 1, tzinfo=UTC)

# Per-task time budgets (execution_timeout; the sensor's wait is its `timeout`).
RAW_WAIT = {"local": timedelta(hours=2), "kubernetes": timedelta(hours=18)}
TIMEOUTS = {
    "sessionize": timedelta(hours=3),
    "dbt_build": timedelta(hours=2),
    "dq_gate": timedelta(minutes=15),
    "publish": timedelta(minutes=15),
}
# Local: one run at a time (one DuckDB file, two cores). Kubernetes: Spark days run side by side.
MAX_ACTIVE_RUNS = {"local": 1, "kubernetes": 4}

DOC_MD = """
### clickstream_daily
Raw click logs of a day -> sessions (Spark) -> marts (dbt) -> data-quality gate -> published marker.

* **Schedule**: daily at 00:00 UTC, catchup on; each run processes its data interval `[start, end)`
  (the UTC day that just ended; a manual run at DATE processes the day before DATE).
* **Backfill a range**: trigger with params `start` and `end` (`YYYY-MM-DD`, end exclusive).
  Re-running a day replaces exactly that day's outputs (partition overwrite in Spark and dbt).
* **Mode**: `CAEC_MODE` (`local` | `kubernetes`); every other setting comes from the
  `caec-pipeline-config` ConfigMap, read when tasks run (docs/orchestration.md).
"""


def dag_mode(env: Mapping[str, str] | None = None) -> str:
    """``CAEC_MODE`` (default ``local``): the one parse-time setting, validated with the fix in the message."""
    value = ((os.environ if env is None else env).get("CAEC_MODE") or "local").strip().lower() or "local"
    if value not in MODES:
        raise ValueError(
            f"CAEC_MODE={value!r} is not one of {', '.join(MODES)}: use 'local' on a laptop, "
            "'kubernetes' on GKE/kind (docs/configuration.md)"
        )
    return value


def resolve_mode(mode: str | None) -> str:
    """An explicit mode, checked, or ``CAEC_MODE`` (:func:`dag_mode`)."""
    mode = mode or dag_mode()
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    return mode


# Kubernetes: API hiccups, preempted nodes and image pulls are transient, so retry more and wait longer.
# Local: failures are almost always real; one quick retry keeps `airflow dags test` fast to fail.
RETRIES = {"local": (1, timedelta(seconds=20)), "kubernetes": (3, timedelta(minutes=2))}


def default_args(mode: str, notifier: Notifier | None) -> dict[str, Any]:
    """Retries with exponential backoff (transient API/pod failures), a default time budget, alerts.

    On a task's final failure: the log line + optional ``CAEC_NOTIFY_CALLBACK`` of ``gate``, and the
    alert to the sinks of ``CAEC_ALERT_*`` (caec_airflow.alerts; retries alert nobody).
    """
    retries, delay = RETRIES[mode]
    return {
        "owner": "caec-data-platform",
        "depends_on_past": False,
        "retries": retries,
        "retry_delay": delay,
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": timedelta(hours=1),
        "on_failure_callback": [make_failure_callback(notifier), CaecAlertNotifier()],
    }


def run_params() -> dict[str, Param]:
    """Optional date range of a manual run (both or neither; end exclusive; checked by DayWindow)."""
    texts = {
        PARAM_START: (
            "First day (manual backfill)",
            "YYYY-MM-DD; with `end`, process [start, end) instead of the data interval.",
        ),
        PARAM_END: (
            "Day after the last day (exclusive)",
            "YYYY-MM-DD, exclusive: start=2026-11-01 end=2026-11-03 processes two days.",
        ),
    }
    return {
        name: Param(None, type=["null", "string"], format="date", title=title, description=text)
        for name, (title, text) in texts.items()
    }


def caec_dag(
    dag_id: str,
    mode: str,
    notifier: Notifier | None,
    *,
    params: dict[str, Param],
    tags: list[str],
    **settings: Any,
) -> DAG:
    """A CAEC DAG: retries, time budget and alerts of ``mode`` (:func:`default_args`), tagged with it."""
    return DAG(
        dag_id=dag_id,
        default_args=default_args(mode, notifier),
        params=params,
        tags=["caec", *tags, f"mode:{mode}"],
        **settings,
    )


def python_tasks(
    bodies: Mapping[str, Callable[..., Any]],
    timeouts: Mapping[str, timedelta],
    **options: dict[str, Any],
) -> list[Any]:
    """One PythonOperator per (task id, body), with its time budget and any per-task ``options``."""
    from airflow.providers.standard.operators.python import PythonOperator

    return [
        PythonOperator(
            task_id=task_id,
            python_callable=body,
            execution_timeout=timeouts[task_id],
            **options.get(task_id, {}),
        )
        for task_id, body in bodies.items()
    ]


def build_clickstream_daily(
    mode: str | None = None,
    *,
    notifier: Notifier | None = None,
    start_date: datetime = DEFAULT_START_DATE,
    sizing: SparkSizing | None = None,
) -> DAG:
    """The DAG for ``mode`` (default: ``CAEC_MODE``). Cheap: no config, file or network access."""
    mode = resolve_mode(mode)
    from airflow.providers.standard.operators.python import PythonOperator

    with caec_dag(
        DAG_ID,
        mode,
        notifier,
        description="Raw click logs -> sessions (Spark) -> marts (dbt) -> DQ gate -> publish",
        # Data intervals (not Airflow 3's trigger default): the run for day D starts after D ends,
        # and its data interval is exactly [D, D+1) — the day the tasks process.
        schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
        start_date=start_date,
        catchup=True,
        max_active_runs=MAX_ACTIVE_RUNS[mode],
        dagrun_timeout=timedelta(hours=24),
        params=run_params(),
        tags=["clickstream"],
        doc_md=DOC_MD,
    ) as dag:
        if mode == "kubernetes":
            from caec_airflow.k8s_operators import (
                CaecDbtPodOperator,
                CaecRawPrefixSensor,
                CaecSparkApplicationOperator,
            )

            wait_for_raw: Any = CaecRawPrefixSensor(
                task_id="wait_for_raw",
                deferrable=True,
                poke_interval=300,
                timeout=RAW_WAIT[mode].total_seconds(),
            )
            sessionize: Any = CaecSparkApplicationOperator(
                task_id="sessionize",
                sizing=sizing,
                execution_timeout=TIMEOUTS["sessionize"],
            )
            dbt_build: Any = CaecDbtPodOperator(
                task_id="dbt_build",
                name="caec-dbt-build",
                execution_timeout=TIMEOUTS["dbt_build"],
                max_active_tis_per_dag=1,
            )
        else:
            from caec_airflow.local import LocalRawDataSensor, dbt_build_local, sessionize_local

            wait_for_raw = LocalRawDataSensor(
                task_id="wait_for_raw",
                mode="poke",
                poke_interval=30,
                timeout=RAW_WAIT[mode].total_seconds(),
            )
            sessionize, dbt_build = python_tasks(
                {"sessionize": sessionize_local, "dbt_build": dbt_build_local},
                TIMEOUTS,
                # dbt's look-back windows of neighbouring days overlap: never two builds at once.
                dbt_build={"max_active_tis_per_dag": 1},
            )
        gate = PythonOperator(
            task_id="dq_gate",
            python_callable=dq_gate,
            execution_timeout=TIMEOUTS["dq_gate"],
            retries=1,
        )
        publish = PythonOperator(
            task_id="publish",
            python_callable=make_publish(notifier),
            execution_timeout=TIMEOUTS["publish"],
            # The `published` line the freshness alert counts (docs/monitoring.md).
            on_success_callback=CaecAlertNotifier(),
        )
        wait_for_raw >> sessionize >> dbt_build >> gate >> publish
    return dag
