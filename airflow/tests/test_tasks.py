"""Task bodies shared by both modes (gate, publish, callbacks) and the raw-data checks, on real files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowFailException
from conftest import GKE_ENV, KIND_ENV, REPO_ROOT, publish_manifests, run_context

from caec_airflow.gate import dq_gate, make_failure_callback, make_publish, resolve_notifier
from caec_airflow.local import missing_local_days
from caec_pipeline.config import PipelineConfig
from caec_pipeline.window import DayWindow

pytestmark = pytest.mark.usefixtures("clean_caec_env")


def manifest(**counts: int) -> dict[str, Any]:
    base = {"read": 100, "valid": 95, "quarantined": 2, "filtered": 3, "human": 80, "bot": 15, "late": 1}
    base.update(counts)
    return {
        "run_id": "r1",
        "finished_at": "2026-11-03T01:00:00Z",
        "window": {"start": "2026-11-02", "end": "2026-11-03", "lookback_hours": 6},
        "counts": {**base, "sessions": 30, "quarantined_by_reason": {"parse_error": base["quarantined"]}},
        "reconciled": True,
    }


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CAEC_DATA_DIR", str(tmp_path))
    return tmp_path


def write_manifest(data_dir: Path, doc: dict[str, Any]) -> None:
    publish_manifests(data_dir / "staging", [doc])


def test_gate_passes_and_publish_writes_the_marker_and_notifies(data_dir: Path) -> None:
    write_manifest(data_dir, manifest())
    verdict = dq_gate(**run_context())
    assert verdict["passed"] is True and verdict["totals"]["read"] == 100
    events: list[dict[str, Any]] = []
    written = make_publish(events.append)(**run_context())
    assert written == [str(data_dir / "staging" / "_published" / "dt=2026-11-02.json")]
    marker = json.loads(Path(written[0]).read_text())
    assert marker["dq"]["passed"] is True and marker["window"]["start"] == "2026-11-02"
    assert [e["event"] for e in events] == ["published"]


@pytest.mark.parametrize(
    ("counts", "message"),
    [({"read": 99}, "records lost"), ({"quarantined": 20, "read": 118}, "quarantine share")],
)
def test_gate_fails_without_retry_on_bad_manifests(
    data_dir: Path, counts: dict[str, int], message: str
) -> None:
    write_manifest(data_dir, manifest(**counts))
    with pytest.raises(AirflowFailException, match=message):
        dq_gate(**run_context())
    with pytest.raises(AirflowFailException, match="refusing to publish"):
        make_publish()(**run_context())
    assert not (data_dir / "staging" / "_published").exists()


def test_gate_fails_when_the_window_has_no_manifest(data_dir: Path) -> None:
    with pytest.raises(AirflowFailException, match="no run manifest"):
        dq_gate(**run_context())


def test_failure_callback_notifies_and_never_raises(data_dir: Path) -> None:
    events: list[dict[str, Any]] = []
    context = {**run_context(), "exception": RuntimeError("boom")}
    make_failure_callback(events.append)(context)
    assert events[0]["event"] == "failed" and events[0]["error"] == "boom"
    assert events[0]["window"] == {"start": "2026-11-02", "end": "2026-11-03"}

    def broken(_event: dict[str, Any]) -> None:
        raise ConnectionError("chat service down")

    make_failure_callback(broken)(context)  # logged, not raised


def test_notifier_spec_is_validated() -> None:
    assert resolve_notifier("") is None
    assert resolve_notifier("json:dumps") is json.dumps
    with pytest.raises(ValueError, match=r"package\.module:function"):
        resolve_notifier("json.dumps")


def test_local_raw_check_needs_every_day_of_the_window(tmp_path: Path) -> None:
    cfg = PipelineConfig.from_env({"CAEC_DATA_DIR": str(tmp_path)}, repo_root=REPO_ROOT)
    day1 = tmp_path / "raw" / "dt=2026-11-02"
    day1.mkdir(parents=True)
    (day1 / "_SUCCESS").write_text("")  # markers do not count as data
    window = DayWindow(date(2026, 11, 2), date(2026, 11, 4))
    assert missing_local_days(cfg, window) == [
        date(2026, 11, 2),
        date(2026, 11, 3),
    ]
    (day1 / "events.jsonl.gz").write_bytes(b"x")
    assert missing_local_days(cfg, window) == [date(2026, 11, 3)]


def test_gcs_sensor_watches_each_day_prefix() -> None:
    from caec_airflow.k8s_operators import day_prefixes, split_gcs_uri

    cfg = PipelineConfig.from_env(GKE_ENV, repo_root=REPO_ROOT)
    assert day_prefixes(cfg, DayWindow(date(2026, 11, 2), date(2026, 11, 4))) == [
        ("my-project-caec-dev-raw", "raw/dt=2026-11-02/"),
        ("my-project-caec-dev-raw", "raw/dt=2026-11-03/"),
    ]
    with pytest.raises(ValueError, match="not a gs:// URI"):
        split_gcs_uri("/data/raw")


def test_kubernetes_sensor_on_a_shared_volume_checks_disk_and_defers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kind: raw data on the PVC (mounted in the worker) — no GCS, still deferrable."""
    from airflow.sdk.exceptions import TaskDeferred

    from caec_airflow.dag_factory import build_clickstream_daily

    for key, value in {
        **KIND_ENV,
        "CAEC_DATA_DIR": str(tmp_path),
        "CAEC_RAW_URI": str(tmp_path / "raw"),
    }.items():
        monkeypatch.setenv(key, value)
    sensor: Any = build_clickstream_daily("kubernetes").get_task("wait_for_raw")
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(run_context())
    assert type(deferred.value.trigger).__name__ == "TimeDeltaTrigger"
    assert deferred.value.method_name == "execute_complete_local"
    day = tmp_path / "raw" / "dt=2026-11-02"
    day.mkdir(parents=True)
    (day / "part-0.jsonl.gz").write_bytes(b"x")
    assert sensor.execute_complete_local(run_context()) == []


def test_a_local_task_runs_its_stage_into_the_task_log(caplog: pytest.LogCaptureFixture) -> None:
    """The DAG's local mode runs make run's stage runner: lines and progress in the log, tail in the error."""
    import json
    import logging
    import sys

    from caec_airflow.runtime import run_stage
    from caec_pipeline.runner import StageFailed
    from caec_pipeline.steps import Stage

    step = {"caec": "progress", "component": "spark", "time": "2026-12-04T07:00:00Z", "step": 1, "steps": 1}
    script = f"import sys\nprint({json.dumps(json.dumps(step | {'stage': 'x', 'message': 'hi'}))}, file=sys.stderr)\nsys.exit(4)\n"
    with caplog.at_level(logging.INFO, logger="caec_airflow.runtime"), pytest.raises(StageFailed) as err:
        run_stage(Stage("sessionize", "sessionize", [sys.executable, "-c", script]))
    assert "[sessionize] spark 2026-12-04T07:00:00Z [1/1 x] hi" in caplog.messages
    assert any(m.startswith("[sessionize]") and "100%" in m for m in caplog.messages)
    assert "stage 'sessionize' failed: exit code 4" in str(err.value) and "[1/1 x] hi" in str(err.value)
