"""Graph structure and params: identical task graph in both modes, only the operators differ."""

from __future__ import annotations

import itertools
from typing import Any

import jsonschema
import pytest
from airflow.sdk import DAG

from caec_airflow.dag_factory import TASK_IDS, build_clickstream_daily

pytestmark = pytest.mark.usefixtures("clean_caec_env")

EXPECTED_OPERATORS = {
    "local": ["LocalRawDataSensor", "PythonOperator", "PythonOperator", "PythonOperator", "PythonOperator"],
    "kubernetes": [
        "CaecRawPrefixSensor",
        "CaecSparkApplicationOperator",
        "CaecDbtPodOperator",
        "PythonOperator",
        "PythonOperator",
    ],
}


@pytest.fixture(scope="module")
def dags() -> dict[str, DAG]:
    return {mode: build_clickstream_daily(mode) for mode in ("local", "kubernetes")}


def edges(dag: DAG) -> set[tuple[str, str]]:
    return {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}


@pytest.mark.parametrize("mode", ["local", "kubernetes"])
def test_same_linear_graph_in_both_modes(dags: dict[str, DAG], mode: str) -> None:
    dag = dags[mode]
    assert [t.task_id for t in dag.topological_sort()] == list(TASK_IDS)
    assert edges(dag) == set(itertools.pairwise(TASK_IDS))
    assert [type(dag.get_task(t)).__name__ for t in TASK_IDS] == EXPECTED_OPERATORS[mode]


def test_modes_differ_only_in_operators(dags: dict[str, DAG]) -> None:
    local, k8s = dags["local"], dags["kubernetes"]
    assert edges(local) == edges(k8s)
    assert local.params.dump() == k8s.params.dump()
    assert local.catchup and k8s.catchup
    assert (local.max_active_runs, k8s.max_active_runs) == (1, 4)
    for dag in (local, k8s):
        assert dag.get_task("dbt_build").max_active_tis_per_dag == 1


def test_kubernetes_tasks_wait_deferrably_and_clean_up(dags: dict[str, DAG]) -> None:
    dag = dags["kubernetes"]
    sensor: Any = dag.get_task("wait_for_raw")
    assert sensor.deferrable is True
    spark: Any = dag.get_task("sessionize")
    assert spark.delete_on_termination is True
    assert spark.get_logs is True
    dbt: Any = dag.get_task("dbt_build")
    assert dbt.on_finish_action.value == "delete_succeeded_pod"


def test_params_accept_a_date_range_and_reject_garbage(dags: dict[str, DAG]) -> None:
    params = dags["local"].params
    assert set(params.keys()) == {"start", "end"}
    assert params.dump() == {"start": None, "end": None}
    schema = params.get_param("start").schema
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    jsonschema.validate("2026-11-01", schema, format_checker=checker)
    jsonschema.validate(None, schema, format_checker=checker)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("1st of November", schema, format_checker=checker)


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="not one of"):
        build_clickstream_daily("cloud")
