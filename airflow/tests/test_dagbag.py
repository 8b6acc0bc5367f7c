"""DagBag integrity: the DAG folder imports cleanly, fast, and without reading the pipeline config."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from airflow.dag_processing.dagbag import DagBag
from conftest import DAGS_FOLDER

from caec_airflow.dag_factory import TASK_IDS
from caec_pipeline.config import PipelineConfig

pytestmark = pytest.mark.usefixtures("clean_caec_env")


def load() -> DagBag:
    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_dag_folder_imports_without_errors_and_fast() -> None:
    bag = load()
    assert bag.import_errors == {}
    assert sorted(bag.dags) == ["clickstream_daily", "clickstream_erase"]
    # The local mode imports nothing heavy; a generous bound that still catches I/O at import time.
    for stat in bag.dagbag_stats:
        assert stat.duration < timedelta(seconds=2), f"{stat.file} took {stat.duration} to import"


def test_import_does_not_read_the_pipeline_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken ConfigMap must fail the first task with a clear message, not DAG parsing."""

    def forbidden(*_args: object, **_kwargs: object) -> PipelineConfig:
        raise AssertionError("PipelineConfig.from_env called at DAG import time")

    monkeypatch.setattr(PipelineConfig, "from_env", classmethod(forbidden))
    monkeypatch.setenv("CAEC_IMAGE_TAG", "not a valid tag!")
    monkeypatch.setenv("CAEC_DQ_MAX_BOT_SHARE", "lots")
    bag = load()
    assert bag.import_errors == {}
    assert "clickstream_daily" in bag.dags


def test_invalid_mode_is_an_import_error_that_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAEC_MODE", "cloud")
    bag = load()
    assert len(bag.import_errors) == 2  # both DAG files
    for error in bag.import_errors.values():
        assert "CAEC_MODE='cloud'" in error and "kubernetes" in error


def test_kubernetes_mode_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAEC_MODE", "kubernetes")
    bag = load()
    assert bag.import_errors == {}
    dag = bag.dags["clickstream_daily"]
    assert "mode:kubernetes" in dag.tags
    assert type(dag.get_task("sessionize")).__name__ == "CaecSparkApplicationOperator"


def test_scheduling_retries_timeouts_and_callbacks() -> None:
    dag = load().dags["clickstream_daily"]
    timetable: Any = dag.timetable
    assert set(dag.tags) >= {"caec", "clickstream", "mode:local"}
    assert dag.catchup is True
    assert dag.max_active_runs == 1
    assert dag.dagrun_timeout is not None
    assert type(timetable).__name__ == "CronDataIntervalTimetable"
    assert timetable.expression == "0 0 * * *"
    assert str(timetable.timezone) in ("UTC", "Timezone('UTC')")
    assert [t.task_id for t in dag.topological_sort()] == list(TASK_IDS)
    for task in dag.tasks:
        op: Any = task
        assert task.owner == "caec-data-platform"
        assert op.retries >= 1, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert op.max_retry_delay is not None
        assert task.on_failure_callback, task.task_id
        if task.task_id == "wait_for_raw":
            assert 0 < op.timeout <= timedelta(hours=24).total_seconds()
        else:
            assert task.execution_timeout is not None and task.execution_timeout <= timedelta(hours=3)
