"""Alerts reach a person: the notifier's payload, its sinks, and a real failing `airflow dags test` run.

The end-to-end test runs the real DAG in local mode with `airflow dags test`; the upstream tasks are
marked successful (`--mark-success-pattern`) and the Spark manifest of the day is written by the test
with a quarantine share over the threshold, so the real DQ gate fails, the real callbacks fire, and the
alert must arrive both in the JSON-lines file sink and at an HTTP receiver on 127.0.0.1 that the test
starts and stops. A second run of a good day checks the `published` line the freshness metric counts.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, publish_manifests, run_context

from caec_airflow import DAG_ID
from caec_airflow.alerts import (
    DQ_GATE_FAILED,
    LOG_FILE_ENV,
    PUBLISHED,
    TASK_FAILED,
    WEBHOOK_ENV,
    AlertSinks,
    CaecAlertNotifier,
    alert_payload,
    deliver,
)
from caec_airflow.dags_test import airflow_cli, airflow_env, dags_test_argv
from caec_airflow.gate import DQGateFailed
from caec_pipeline.config import PipelineConfig

pytestmark = pytest.mark.usefixtures("clean_caec_env")

FAILING_DAY = date(2026, 11, 4)
GOOD_DAY = date(2026, 11, 5)
# The run at logical date DAY+1 processes DAY (its data interval).
UPSTREAM = "^(wait_for_raw|sessionize|dbt_build)$"
DAGS_TEST_TIMEOUT_S = 300


class Receiver:
    """A webhook receiver on 127.0.0.1 (ephemeral port) collecting the JSON bodies it is sent."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


class TaskInstance:
    """The attributes of Airflow's runtime task instance the payload reads."""

    dag_id = DAG_ID
    task_id = "dq_gate"
    try_number = 1
    max_tries = 1
    log_url = "http://airflow/log"


def failure_context(error: BaseException) -> dict[str, Any]:
    return {
        **run_context(),
        "ti": TaskInstance(),
        "logical_date": datetime(2026, 11, 3, tzinfo=UTC),
        "exception": error,
    }


def read_lines(path: Path) -> list[dict[str, Any]]:
    return (
        [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    )


def test_payload_names_the_run_and_the_failing_checks() -> None:
    checks = ["quarantine share 20.00% exceeds the threshold 5.00% (CAEC_DQ_MAX_QUARANTINE_SHARE); ..."]
    payload = alert_payload(failure_context(DQGateFailed("data-quality gate FAILED", checks)), env_name="dev")
    assert payload["caec_alert"] == DQ_GATE_FAILED and payload["severity"] == "ERROR"
    assert payload["dag_id"] == DAG_ID and payload["task_id"] == "dq_gate"
    assert payload["run_id"] == "scheduled__2026-11-02T00:00:00+00:00"
    assert payload["logical_date"] == "2026-11-03T00:00:00+00:00" and payload["try_number"] == 1
    assert payload["window"] == {"start": "2026-11-02", "end": "2026-11-03"}
    assert payload["failed_checks"] == checks
    assert payload["text"].startswith("[dev] CAEC data-quality gate FAILED days [2026-11-02, 2026-11-03)")
    assert checks[0] in payload["text"]

    other = alert_payload(failure_context(RuntimeError("spark driver OOMKilled")))
    assert other["caec_alert"] == TASK_FAILED and other["failed_checks"] == []
    assert other["error"] == "RuntimeError: spark driver OOMKilled"
    assert "try 1" in other["text"] and "spark driver OOMKilled" in other["text"]


def test_webhook_url_must_be_https_or_loopback() -> None:
    assert AlertSinks.from_env({}) == AlertSinks(None, None)
    assert AlertSinks.from_env({WEBHOOK_ENV: "https://hooks.example.org/x"}).webhook_url
    assert AlertSinks.from_env({WEBHOOK_ENV: "http://127.0.0.1:9/x"}).webhook_url
    with pytest.raises(ValueError, match="caec-pipeline-secrets"):
        AlertSinks.from_env({WEBHOOK_ENV: "http://hooks.example.org/x"})


def test_sinks_receive_failures_and_a_dead_sink_never_raises(tmp_path: Path, receiver: Receiver) -> None:
    log_file = tmp_path / "alerts.jsonl"
    payload = alert_payload(failure_context(RuntimeError("boom")))
    assert deliver(payload, AlertSinks(receiver.url, str(log_file))) == []
    assert receiver.bodies == [json.loads(json.dumps(payload))]
    assert read_lines(log_file) == receiver.bodies

    # published goes to the log sink only: it is for the freshness metric, not for a person.
    published = alert_payload({**run_context(), "ti": TaskInstance()})
    assert published["caec_alert"] == PUBLISHED and published["severity"] == "INFO"
    assert deliver(published, AlertSinks(receiver.url, str(log_file))) == []
    assert len(receiver.bodies) == 1 and read_lines(log_file)[-1]["caec_alert"] == PUBLISHED

    # A closed port and an unwritable file are reported, not raised.
    dead = AlertSinks("http://127.0.0.1:9/hook", str(tmp_path / "missing-dir" / "alerts.jsonl"))
    assert deliver(payload, dead) == ["log_file", "webhook"]
    CaecAlertNotifier(dead).notify(failure_context(RuntimeError("boom")))


def manifest(day: date, *, quarantined: int) -> dict[str, Any]:
    """A reconciled Spark run manifest of ``day`` (the DQ gate's input, docs/data-contract.md)."""
    valid = 95
    return {
        "run_id": f"test-{day.isoformat()}",
        "finished_at": f"{(day + timedelta(days=1)).isoformat()}T01:00:00Z",
        "window": {
            "start": day.isoformat(),
            "end": (day + timedelta(days=1)).isoformat(),
            "lookback_hours": 6,
        },
        "counts": {
            "read": valid + quarantined + 3,
            "valid": valid,
            "quarantined": quarantined,
            "filtered": 3,
            "human": 80,
            "bot": 15,
            "late": 1,
            "sessions": 30,
            "quarantined_by_reason": {"parse_error": quarantined},
        },
        "reconciled": True,
    }


def dags_test_gate_and_publish(day: date, env: dict[str, str]) -> int:
    """`airflow dags test` of ``day`` with the upstream tasks marked successful; the exit code."""
    argv = [*dags_test_argv(day, via_params=False), "--mark-success-pattern", UPSTREAM]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=DAGS_TEST_TIMEOUT_S)
    print(result.stdout[-4000:], result.stderr[-4000:])
    return result.returncode


@pytest.mark.e2e
def test_failing_local_run_alerts_with_the_failing_checks(tmp_path: Path, receiver: Receiver) -> None:
    home = tmp_path / "airflow-home"
    home.mkdir()
    log_file = tmp_path / "alerts.jsonl"
    env = airflow_env(home)
    env.update(
        {
            "CAEC_DATA_DIR": str(tmp_path / "data"),
            "CAEC_ENV": "local",
            LOG_FILE_ENV: str(log_file),
            WEBHOOK_ENV: receiver.url,
        }
    )
    cfg = PipelineConfig.from_env(env)
    publish_manifests(
        Path(cfg.staging_uri),
        [manifest(day, quarantined=quarantined) for day, quarantined in ((FAILING_DAY, 20), (GOOD_DAY, 2))],
    )
    subprocess.run([airflow_cli(), "db", "migrate"], check=True, env=env, stdout=subprocess.DEVNULL)

    assert dags_test_gate_and_publish(FAILING_DAY, env) != 0
    (alert,) = receiver.bodies
    assert alert["caec_alert"] == DQ_GATE_FAILED
    assert (alert["dag_id"], alert["task_id"], alert["try_number"]) == (DAG_ID, "dq_gate", 1)
    assert alert["run_id"] and alert["logical_date"].startswith((FAILING_DAY + timedelta(days=1)).isoformat())
    assert alert["window"] == {"start": FAILING_DAY.isoformat(), "end": GOOD_DAY.isoformat()}
    assert alert["env"] == "local"
    assert len(alert["failed_checks"]) == 1 and "quarantine share" in alert["failed_checks"][0]
    assert "DQGateFailed" in alert["error"] and "quarantine share" in alert["text"]
    # The file sink holds the same alert; publish never ran, so nothing claims the day is published.
    assert read_lines(log_file) == [alert]
    assert not (Path(cfg.published_uri) / f"dt={FAILING_DAY.isoformat()}.json").exists()

    assert dags_test_gate_and_publish(GOOD_DAY, env) == 0
    assert len(receiver.bodies) == 1  # a good day pages nobody
    published = read_lines(log_file)[-1]
    assert published["caec_alert"] == PUBLISHED and published["task_id"] == "publish"
    assert published["window"] == {
        "start": GOOD_DAY.isoformat(),
        "end": (GOOD_DAY + timedelta(days=1)).isoformat(),
    }


def test_the_airflow_chart_values_map_the_alert_settings() -> None:
    """Every Airflow pod gets the webhook from the per-environment Secret and the stdout log sink."""
    values = yaml.safe_load((REPO_ROOT / "helm" / "values" / "airflow" / "base.yaml").read_text())
    extra_env = {e["name"]: e for e in yaml.safe_load(values["extraEnv"])}
    webhook = extra_env[WEBHOOK_ENV]["valueFrom"]["secretKeyRef"]
    assert webhook == {"name": "caec-pipeline-secrets", "key": WEBHOOK_ENV, "optional": True}
    assert extra_env[LOG_FILE_ENV]["value"] == "/proc/1/fd/1"
