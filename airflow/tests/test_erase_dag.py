"""The clickstream_erase DAG: structure in both modes, what its Kubernetes operators run, and
`airflow dags test clickstream_erase` in local mode erasing a real visitor (Spark, dbt on DuckDB)."""

from __future__ import annotations

import gzip
import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.exceptions import AirflowSkipException
from conftest import DAGS_FOLDER, GKE_ENV, KIND_ENV, run_context

from caec_airflow.dags_test import airflow_cli, airflow_env, ensure_raw_day
from caec_airflow.erase import ERASE_DAG_ID, ERASE_TASK_IDS
from caec_pipeline.config import PipelineConfig
from caec_pipeline.erasure import LEDGER
from caec_pipeline.steps import dbt_build_stage, sessionize_stage
from caec_pipeline.window import DayWindow

pytestmark = pytest.mark.usefixtures("clean_caec_env")

DAY = date(2026, 11, 2)
HASHED = "0123456789abcdef0123456789abcdef"


def _dag(monkeypatch: pytest.MonkeyPatch, mode: str) -> Any:
    monkeypatch.setenv("CAEC_MODE", mode)
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    assert bag.import_errors == {}
    return bag.dags[ERASE_DAG_ID]


@pytest.mark.parametrize("mode", ["local", "kubernetes"])
def test_erase_dag_parses_in_both_modes(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    dag = _dag(monkeypatch, mode)
    assert [t.task_id for t in dag.topological_sort()] == list(ERASE_TASK_IDS)
    assert dag.schedule is None or dag.timetable.summary in ("None", "")
    assert dag.max_active_runs == 1 and f"mode:{mode}" in dag.tags
    assert set(dag.params) == {"user_id", "cookie_id", "ip", "user_agent", "format", "requested_by"}
    for task in dag.tasks:
        assert task.on_failure_callback and task.execution_timeout is not None, task.task_id
    if mode == "kubernetes":
        assert type(dag.get_task("erase_staging")).__name__ == "CaecEraseSparkOperator"
        assert type(dag.get_task("erase_marts")).__name__ == "CaecEraseDbtPodOperator"


def _kind_cfg(tmp_path: Path) -> PipelineConfig:
    """kind's configuration with its shared volume here (the ledger is read from it)."""
    data = tmp_path / "data"
    return PipelineConfig.from_env(
        KIND_ENV
        | {
            "CAEC_DATA_DIR": str(data),
            "CAEC_RAW_URI": str(data / "raw"),
            "CAEC_STAGING_URI": str(data / "staging"),
        }
    )


def _ledger(cfg: PipelineConfig, staging: list[dict[str, Any]]) -> None:
    path = Path(cfg.staging_uri) / LEDGER
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "request_id": "erase_manual__x",
        "status": "staging_erased",
        "visitor_ids": [HASHED],
        "staging": staging,
    }
    path.write_text(json.dumps(entry) + "\n")


def test_kubernetes_erase_application_is_the_daily_one_with_erase_arguments(tmp_path: Path) -> None:
    from caec_airflow.k8s_erase import CaecEraseSparkOperator

    cfg = PipelineConfig.from_env(GKE_ENV)
    op = CaecEraseSparkOperator(task_id="erase_staging")
    context = run_context(user_id="c42", format="jsonl", requested_by="ticket-1") | {"run_id": "manual__x"}
    doc = op.prepare(context, cfg)
    args = doc["spec"]["arguments"]
    assert args[:3] == ["erase", "--output", cfg.staging_uri]
    assert (
        args[args.index("--user-id") + 1] == "c42"
        and args[args.index("--request-id") + 1] == "erase_manual__x"
    )
    assert doc["metadata"]["name"].startswith("caec-erase-")
    # the same salt as the daily job, from its Secret (never a value in the CR)
    (salt,) = [e for e in doc["spec"]["driver"]["env"] if e["name"] == "CAEC_IDENTITY_SALT"]
    assert "valueFrom" in salt and "value" not in salt


def test_kubernetes_dbt_pods_read_the_ledger(tmp_path: Path) -> None:
    from caec_airflow.k8s_erase import CaecEraseDbtPodOperator

    cfg = _kind_cfg(tmp_path)
    context = run_context(requested_by="t") | {"run_id": "manual__x"}
    _ledger(cfg, [{"dataset": "events", "day": "2026-11-02", "rows_removed": 3},
                  {"dataset": "sessions", "day": "2026-11-01", "rows_removed": 1}])  # fmt: skip
    erase = CaecEraseDbtPodOperator(task_id="erase_marts", name="x", step="erase").prepare(context, cfg)
    assert erase.arguments[:2] == ["run-operation", "erase_visitors"]
    assert json.loads(erase.arguments[-1]) == {"request_id": "erase_manual__x", "visitor_ids": [HASHED]}
    rebuild = CaecEraseDbtPodOperator(task_id="rebuild_marts", name="y", step="rebuild").prepare(context, cfg)
    assert rebuild.arguments[0] == "build"
    assert json.loads(rebuild.arguments[-1]) == {"start_date": "2026-11-01", "end_date": "2026-11-03"}
    _ledger(cfg, [])
    with pytest.raises(AirflowSkipException):
        CaecEraseDbtPodOperator(task_id="rebuild_marts", name="y", step="rebuild").prepare(context, cfg)


def _first_visitor(cfg: PipelineConfig) -> str:
    """A jsonl visitor id of the generated day (the key a person would give)."""
    raw = next(Path(cfg.raw_uri).glob(f"dt={DAY}/*"))
    with gzip.open(raw, "rt") as f:
        for line in f:
            try:
                return str(json.loads(line)["visitor_id"])
            except (ValueError, KeyError):
                continue
    raise AssertionError("no visitor in the generated day")


VISITOR_ROWS = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
ids = json.loads(sys.argv[2])
print(con.execute("select count(*) from marts.fct_sessions where visitor_id in (select unnest(?))", [ids]).fetchone()[0])
"""


@pytest.mark.e2e
def test_dags_test_erases_a_visitor_in_local_mode(tmp_path: Path) -> None:
    env = airflow_env(tmp_path / "airflow-home") | {"CAEC_DATA_DIR": str(tmp_path / "data")}
    cfg = PipelineConfig.from_env(env)
    ensure_raw_day(cfg, DAY, 1500, seed=5)
    window = DayWindow.of_days(DAY, 1)
    cfg.duckdb_path.parent.mkdir(parents=True)
    for stage in (sessionize_stage(cfg, window), dbt_build_stage(cfg, window)):
        subprocess.run(stage.argv, env=env | stage.env, cwd=stage.cwd, check=True)
    visitor = _first_visitor(cfg)

    subprocess.run([airflow_cli(), "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    conf = json.dumps({"user_id": visitor, "format": "jsonl", "requested_by": "ticket-7"})
    code = subprocess.run(
        [airflow_cli(), "dags", "test", ERASE_DAG_ID, DAY.isoformat(), "--conf", conf], env=env
    ).returncode
    assert code == 0

    (entry,) = [json.loads(line) for line in (Path(cfg.staging_uri) / LEDGER).read_text().splitlines()]
    assert entry["requested_by"] == "ticket-7" and entry["rows_removed"] > 0
    assert visitor not in json.dumps(entry)
    rows = subprocess.run(
        [str(cfg.venv_python("dbt")), "-c", VISITOR_ROWS, str(cfg.duckdb_path), json.dumps(entry["visitor_ids"])],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert rows.stdout.strip() == "0"
