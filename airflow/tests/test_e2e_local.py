"""`airflow dags test clickstream_daily` in local mode over a small generated day, end to end.

Real Airflow (SQLite, `airflow db migrate`, `airflow dags test`), the real Spark job in local mode
from .venv/spark and dbt on DuckDB from .venv/dbt (`make test-airflow` creates both). Afterwards the
marts must hold the day, agree with the Spark output, and the manifest must reconcile.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import AIRFLOW_DIR

from caec_airflow.dag_factory import DEFAULT_START_DATE
from caec_airflow.dags_test import airflow_env, ensure_raw_day, run_dags_test
from caec_pipeline.config import PipelineConfig
from caec_pipeline.dq import load_manifests
from caec_pipeline.window import DayWindow

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("clean_caec_env")]
AIRFLOW_CLI = Path(sys.executable).with_name("airflow")

DAY = date(2026, 11, 2)
EVENTS = 3000

MARTS_QUERY = """
import duckdb, json, sys
db, staging, day = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect(db, read_only=True)
# only the version the publish pointer names (docs/data-contract.md, "The publish pointer")
PUBLISHED = (
    " and v = (select version from read_json(?, format = 'newline_delimited') "
    "where dataset = 'sessions' and status = 'current' and key = ?)"
)
def table(name):
    (schema,) = con.execute(
        "select table_schema from information_schema.tables where table_name = ?", [name]
    ).fetchone()
    return f'"{schema}"."{name}"'
out = {
    "fct_sessions": con.execute(
        f"select count(*) from {table('fct_sessions')} where session_date = cast(? as date)", [day]
    ).fetchone()[0],
    "traffic_sessions": (con.execute(
        f"select sum(sessions) from {table('agg_daily_traffic')} where date_day = cast(? as date)", [day]
    ).fetchone() or [None])[0],
    "spark_sessions": con.execute(
        "select count(*) from read_parquet(?, hive_partitioning = true) where session_date = cast(? as date)"
        + PUBLISHED, [staging + "/sessions/**/*.parquet", day, staging + "/_current.jsonl", day],
    ).fetchone()[0],
    "spark_human_sessions": con.execute(
        "select count(*) from read_parquet(?, hive_partitioning = true) "
        "where session_date = cast(? as date) and not is_bot"
        + PUBLISHED, [staging + "/sessions/**/*.parquet", day, staging + "/_current.jsonl", day],
    ).fetchone()[0],
}
print(json.dumps(out))
"""


def marts_figures(cfg: PipelineConfig) -> dict[str, Any]:
    """Counts from the DuckDB marts and the Spark Parquet, read with the dbt venv's duckdb."""
    result = subprocess.run(
        [
            str(cfg.venv_python("dbt")),
            "-c",
            MARTS_QUERY,
            str(cfg.duckdb_path),
            cfg.staging_uri,
            DAY.isoformat(),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_dags_test_local_mode_end_to_end(tmp_path: Path) -> None:
    env = airflow_env(tmp_path / "airflow-home")
    env.update(
        {
            "CAEC_DATA_DIR": str(tmp_path / "data"),
            "CAEC_NOTIFY_CALLBACK": "caec_notify_probe:record",
            "CAEC_TEST_NOTIFY_FILE": str(tmp_path / "notifications.jsonl"),
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(AIRFLOW_DIR / "tests" / "fixtures"), env.get("PYTHONPATH")])
            ),
        }
    )
    cfg = PipelineConfig.from_env(env)
    for venv in ("spark", "dbt"):
        if not cfg.venv_python(venv).exists():
            pytest.fail(
                f".venv/{venv} is missing: run `make test-airflow` (it creates the spark and dbt venvs)"
            )

    assert ensure_raw_day(cfg, DAY, EVENTS, seed=7) is True
    assert run_dags_test(DAY, tmp_path / "airflow-home", env) == 0

    # publish: one marker for the day, written after the gate passed.
    marker = json.loads((Path(cfg.published_uri) / f"dt={DAY.isoformat()}.json").read_text())
    assert marker["day"] == DAY.isoformat()
    assert marker["window"] == {"start": DAY.isoformat(), "end": (DAY + timedelta(days=1)).isoformat()}
    assert marker["dq"]["passed"] is True

    # The Spark manifest of the window reconciles: every record read is valid, quarantined or filtered.
    (manifest,) = load_manifests(cfg.staging_uri, DayWindow.of_days(DAY, 1))
    counts = manifest["counts"]
    assert manifest["reconciled"] is True
    assert counts["read"] == counts["valid"] + counts["quarantined"] + counts["filtered"]
    assert counts["valid"] == counts["human"] + counts["bot"] > 0

    # The marts hold the day and agree with the Spark output they were built from.
    figures = marts_figures(cfg)
    assert figures["fct_sessions"] > 0
    assert figures["fct_sessions"] == figures["spark_sessions"]
    assert figures["traffic_sessions"] == figures["spark_human_sessions"] > 0

    # The optional notification callback saw the published day.
    events = [json.loads(line) for line in (tmp_path / "notifications.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events] == ["published"]
    assert events[0]["task_id"] == "publish" and events[0]["window"]["start"] == DAY.isoformat()


def test_a_day_before_the_dag_start_fails_with_a_message_instead_of_a_silent_empty_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make airflow-dags-test DATE=<before start_date>` used to exit 0, run no task and print a
    "published" path that did not exist (issue 17, item 7).

    The premise comes from Airflow's own `dags test`: at a logical date before the DAG's start_date it
    succeeds with no task instance. The boundary (DATE = start - 1, logical date = start) is allowed.
    """
    from caec_airflow.dags_test import dag_start_date, first_day, main

    start = dag_start_date()
    assert start == DEFAULT_START_DATE.date()
    assert first_day(start, via_params=False) == start - timedelta(days=1)
    assert first_day(start, via_params=True) == start

    day = start - timedelta(days=2)
    home = tmp_path / "airflow-home"
    assert main(["--date", day.isoformat(), "--airflow-home", str(home)]) == 2
    err = capsys.readouterr().err
    assert f"{day} is before clickstream_daily's start_date {start}" in err
    assert f"Use a DATE from {start - timedelta(days=1)} on" in err
    assert not home.exists(), "nothing was generated or migrated"

    env = airflow_env(home)
    home.mkdir()
    subprocess.run([str(AIRFLOW_CLI), "db", "migrate"], check=True, env=env, stdout=subprocess.DEVNULL)
    proc = subprocess.run(
        [str(AIRFLOW_CLI), "dags", "test", "clickstream_daily", (day + timedelta(days=1)).isoformat()],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    tasks = subprocess.run(
        [str(Path(sys.executable)), "-c",
         "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("
         "'select count(*) from task_instance').fetchone()[0])", str(home / "airflow.db")],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert tasks == "0", "Airflow ran tasks before start_date: the guard in dags_test is now too strict"
