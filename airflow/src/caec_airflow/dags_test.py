"""``airflow dags test clickstream_daily DATE`` in local mode, with a throwaway Airflow home.

What ``make airflow-dags-test DATE=...`` runs and what the end-to-end test drives: it makes sure the
day has raw data (generating a small synthetic day with the Spark job's generator when the folder is
empty), migrates a SQLite metadata DB in the Airflow home, and runs the real ``airflow dags test`` —
the DAG file, operators and task code exactly as the scheduler would run them, in one process.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from caec_airflow import DAG_ID
from caec_airflow.local import missing_local_days
from caec_pipeline.config import PipelineConfig, is_remote_uri, local_path
from caec_pipeline.steps import generate_stage
from caec_pipeline.window import DayWindow, parse_day

AIRFLOW_DIR = Path(__file__).resolve().parents[2]
DAGS_FOLDER = AIRFLOW_DIR / "dags"


def airflow_env(airflow_home: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment of a self-contained local Airflow: SQLite in ``airflow_home``, our DAGs only."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
            "CAEC_MODE": "local",
            "DO_NOT_TRACK": "1",
            "SCARF_ANALYTICS": "false",
        }
    )
    return env


def airflow_cli() -> str:
    """The ``airflow`` script of this interpreter's venv."""
    return str(Path(sys.executable).with_name("airflow"))


def ensure_raw_day(cfg: PipelineConfig, day: date, events: int, seed: int) -> bool:
    """Generate ``events`` synthetic events for ``day`` when its raw folder is empty; True if generated."""
    window = DayWindow.of_days(day, 1)
    if not missing_local_days(cfg, window):
        return False
    stage = generate_stage(cfg, events, seed, window)
    print(f">> generating {events} synthetic events for {day}: {' '.join(stage.argv)}", flush=True)
    subprocess.run(stage.argv, check=True, env={**os.environ, **stage.env}, cwd=stage.cwd)
    return True


def dags_test_argv(day: date, *, via_params: bool) -> list[str]:
    """The ``airflow dags test`` command that processes ``day``.

    A manual run at logical date X has the data interval [X - 1 day, X) (the last complete day), so
    the plain form uses X = day + 1 — the scheduler's path. ``via_params`` instead runs at X = day
    with the DAG's ``start``/``end`` params — the manual-backfill path.
    """
    nxt = day + timedelta(days=1)
    if via_params:
        conf = json.dumps({"start": day.isoformat(), "end": nxt.isoformat()})
        return [airflow_cli(), "dags", "test", DAG_ID, day.isoformat(), "--conf", conf]
    return [airflow_cli(), "dags", "test", DAG_ID, nxt.isoformat()]


def first_day(dag_start: date, *, via_params: bool) -> date:
    """The earliest day ``dags_test_argv`` can process (pure).

    Airflow creates a run's task instances only for tasks whose start_date <= the run's logical date
    (``DagRun.verify_integrity``); before that the run succeeds with no task. The plain form runs at
    day + 1, the params form at the day itself.
    """
    return dag_start if via_params else dag_start - timedelta(days=1)


def dag_start_date() -> date:
    """The DAG's start_date, from the DAG file itself (parsing it does no I/O)."""
    path = DAGS_FOLDER / f"{DAG_ID}.py"
    spec = importlib.util.spec_from_file_location(f"_caec_dag_{DAG_ID}", path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    start = module.dag.start_date
    if start is None:
        raise RuntimeError(f"{path}: the DAG has no start_date")
    return start.date() if isinstance(start, datetime) else start


def published_marker(cfg: PipelineConfig, day: date) -> str:
    return f"{cfg.published_uri}/dt={day}.json"


def run_dags_test(day: date, airflow_home: Path, env: Mapping[str, str], *, via_params: bool = False) -> int:
    """``airflow db migrate`` then ``airflow dags test`` for ``day``; returns the exit code of the latter."""
    airflow_home.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    subprocess.run([airflow_cli(), "db", "migrate"], check=True, env=dict(env), stdout=subprocess.DEVNULL)
    argv = dags_test_argv(day, via_params=via_params)
    print(f">> airflow db migrate ({time.monotonic() - started:.0f}s); {' '.join(argv[1:])}", flush=True)
    code = subprocess.run(argv, env=dict(env)).returncode
    print(f">> airflow dags test for {day}: exit {code} after {time.monotonic() - started:.0f}s", flush=True)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m caec_airflow.dags_test",
        description=f"Run `airflow dags test {DAG_ID} DATE` in local mode (SQLite, temp Airflow home).",
    )
    parser.add_argument("--date", required=True, help="the day to process, YYYY-MM-DD")
    parser.add_argument(
        "--events", type=int, default=5000, help="synthetic events if the day has no raw data"
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--airflow-home", type=Path, default=None, help="Airflow home (default: <repo>/.out/airflow-home)"
    )
    parser.add_argument(
        "--via-params",
        action="store_true",
        help="run at logical date DATE with params start/end (manual backfill path) instead of the "
        "data interval of a run at DATE+1 (the scheduler's path)",
    )
    args = parser.parse_args(argv)
    try:
        day = parse_day(args.date)
    except ValueError as exc:
        parser.error(str(exc))
    dag_start = dag_start_date()
    earliest = first_day(dag_start, via_params=args.via_params)
    if day < earliest:
        print(
            f"error: {day} is before {DAG_ID}'s start_date {dag_start}: Airflow creates no task for a run "
            f"before the DAG starts, so nothing would be processed. Use a DATE from {earliest} on, or "
            f"process older days without Airflow: make run INPUT=... START={day} END={day + timedelta(days=1)}",
            file=sys.stderr,
        )
        return 2
    env = airflow_env((args.airflow_home or AIRFLOW_DIR.parent / ".out" / "airflow-home").resolve())
    cfg = PipelineConfig.from_env(env)
    ensure_raw_day(cfg, day, args.events, args.seed)
    code = run_dags_test(day, Path(env["AIRFLOW_HOME"]), env, via_params=args.via_params)
    marker = published_marker(cfg, day)
    if code == 0 and not is_remote_uri(marker) and not local_path(marker).exists():
        # the run "succeeded" without publishing: never report a path that does not exist
        print(
            f"error: airflow dags test exited 0 but {day} was not published ({marker} is missing)",
            file=sys.stderr,
        )
        return 1
    if code == 0:
        print(f">> published: {marker}; marts in {cfg.duckdb_path}")
    return code


if __name__ == "__main__":
    sys.exit(main())
