"""The real (non-dry) control flow of .ci/e2e/e2e-kind.sh with stand-ins for docker, kind, kubectl and
make: those need a Docker engine this machine does not have, and what is under test is the script's own
logic — order of steps, the day it picks, waiting on the DAG run, the final assertions (real e2e_tool +
DuckDB), diagnostics and exit codes on failure, cluster clean-up. The stand-ins log every call."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

SCRIPT = ROOT / ".ci" / "e2e" / "e2e-kind.sh"

# A stand-in CLI: append argv to $STUB_LOG, then act per tool. Kept in bash so it is shellcheck-able.
STUB = r"""#!/usr/bin/env bash
set -euo pipefail
name="$(basename "$0")"
echo "$name $*" >>"$STUB_LOG"
case "$name" in
  docker) exit 0 ;;
  kind)
    if [ "${1:-}" = get ]; then
      [ -n "${STUB_KIND_CLUSTERS:-}" ] && echo "$STUB_KIND_CLUSTERS"
      exit 0
    fi
    exit 0 ;;
  make)
    for a in "$@"; do
      case "$a" in
        OUT=*) out="${a#OUT=}"; mkdir -p "$out/dt=2026-01-15"; echo '{}' >"$out/dt=2026-01-15/part-00000.jsonl" ;;
        helm-template) cat "$STUB_RENDER" ;;
      esac
    done
    exit 0 ;;
  kubectl)
    case "$*" in
      *"dags test"* | *"dags trigger"*) "$STUB_PY" "$STUB_WRITE_OUTPUTS" ;;
      *"dags list-import-errors"*) echo "clickstream_daily.py: ImportError: boom" ;;
      *"dags list"*)
        # STUB_DAG_LIST: per poll, 1 = the DAG is in the database, 0 = not yet; the last one repeats
        n=$(($(grep -c "dags list -o" "$STUB_LOG") - 1))
        read -r -a listed <<<"${STUB_DAG_LIST:-1}"
        [ "$n" -ge "${#listed[@]}" ] && n=$((${#listed[@]} - 1))
        echo "dag_id | fileloc"
        [ "${listed[$n]}" = 1 ] && echo "clickstream_daily | /opt/airflow/dags/clickstream_daily.py"
        exit 0 ;;
      *"dags state"*)
        # STUB_SIGNAL_ON_STATE: send that signal to the e2e script (our grand-parent: kubectl is run
        # by airflow_cli inside a command substitution) on the first poll
        if [ -n "${STUB_SIGNAL_ON_STATE:-}" ]; then kill -s "$STUB_SIGNAL_ON_STATE" "$E2E_SCRIPT_PID"; fi
        # STUB_DAG_STATE is a space-separated sequence of states, one per poll; the last one repeats
        n=$(($(grep -c "dags state" "$STUB_LOG") - 1))
        read -r -a states <<<"$STUB_DAG_STATE"
        [ "$n" -ge "${#states[@]}" ] && n=$((${#states[@]} - 1))
        echo "some log line"
        echo "${states[$n]}" ;;
      *"get pods -o name"*) echo "pod/airflow-scheduler-0" ;;
      *" logs "*) echo "log line" ;;
      *" get "*|*" describe "*) echo "resource listing" ;;
    esac
    exit 0 ;;
esac
"""

WRITE_OUTPUTS = """
import json, os, pathlib, duckdb
data = pathlib.Path(os.environ["E2E_DIR"]) / "data"
(data / "staging" / "manifests").mkdir(parents=True, exist_ok=True)
counts = {"read": 10, "valid": 9, "quarantined": 1, "filtered": 0, "human": 8, "bot": 1}
(data / "staging" / "manifests" / "run_id=r1.json").write_text(json.dumps(
    {"window": {"start": "2026-01-15", "end": "2026-01-15"}, "counts": counts, "reconciled": True}))
(data / "warehouse").mkdir(exist_ok=True)
con = duckdb.connect(str(data / "warehouse" / "caec.duckdb"))
con.execute("create schema if not exists caec_kind_marts")
rows = int(os.environ.get("STUB_MART_ROWS", "3"))
con.execute(f"create or replace table caec_kind_marts.fct_sessions as select range as x from range({rows})")
con.close()
"""

RENDER = """apiVersion: v1
kind: ConfigMap
metadata: {name: caec-pipeline-config, namespace: caec-airflow}
data: {CAEC_MODE: kubernetes, CAEC_SHARED_VOLUME_CLAIM: caec-data, CAEC_DBT_TARGET: local,
       CAEC_DATA_DIR: /caec-data, CAEC_IMAGE_TAG: abc}
"""


def run_flow(
    tmp: Path, dag_state: str = "success", mart_rows: int = 3, *args: str, **env_extra: str
) -> tuple[int, str, str]:
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    for tool in ("docker", "kind", "kubectl", "helm", "make"):
        (bin_dir / tool).write_text(STUB)
        (bin_dir / tool).chmod(0o755)
    (tmp / "write_outputs.py").write_text(WRITE_OUTPUTS)
    (tmp / "render.yaml").write_text(RENDER)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "E2E_"))}
    env.update(
        {
            "PATH": f"{bin_dir}:{env['PATH']}",
            "PYTHON": sys.executable,
            "E2E_DIR": str(tmp / "e2e"),
            "IMAGE_TAG": "abc",
            "MAKE": str(bin_dir / "make"),
            "HELM": str(bin_dir / "helm"),
            "STUB_LOG": str(tmp / "calls.log"),
            "STUB_PY": sys.executable,
            "STUB_WRITE_OUTPUTS": str(tmp / "write_outputs.py"),
            "STUB_RENDER": str(tmp / "render.yaml"),
            "STUB_DAG_STATE": dag_state,
            "STUB_MART_ROWS": str(mart_rows),
            "E2E_TIMEOUT": "30",
            "E2E_POLL_SECONDS": "1",
        }
    )
    env.update(env_extra)
    # exec keeps the PID, so a stand-in can signal the script as a cancelled CI job would.
    command = ["bash", "-c", 'export E2E_SCRIPT_PID=$$; exec bash "$0" "$@"', str(SCRIPT), *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=110, check=False)
    return result.returncode, result.stdout + result.stderr, (tmp / "calls.log").read_text()


def test_stub_is_shellcheck_clean(shellcheck: str, tmp_path: Path) -> None:
    stub = tmp_path / "stub"
    stub.write_text(STUB)
    assert subprocess.run([shellcheck, str(stub)], capture_output=True, check=False).returncode == 0


def test_full_flow_passes_and_cleans_up(tmp_path: Path) -> None:
    rc, out, calls = run_flow(tmp_path)
    assert rc == 0, out
    assert "generated day: 2026-01-15" in out
    assert "ok: manifest for 2026-01-15 reconciles and every mart has rows" in out
    order = [line.split()[0] + " " + line.split()[1] for line in calls.splitlines()]
    expected = ["docker info", "make -C", "make -s", "make -C", "kind get", "kind create", "kind load"]
    assert order[: len(expected)] == expected
    assert "images IMAGE_REPO=caec IMAGE_TAG=abc" in calls
    assert calls.count("kind load docker-image") == 3
    assert "helm-upgrade ENV=kind" in calls and "KUBE_CONTEXT=kind-caec-e2e" in calls
    assert "airflow dags test clickstream_daily 2026-01-15T00:00:00+00:00" in calls
    assert calls.splitlines()[-1] == "kind delete cluster --name caec-e2e"
    # the shared directory is writable by the pods' users
    assert oct((tmp_path / "e2e" / "data" / "warehouse").stat().st_mode & 0o777) == "0o777"


def test_failed_dag_run_dumps_diagnostics_and_keeps_the_cluster(tmp_path: Path) -> None:
    rc, out, calls = run_flow(tmp_path, dag_state="failed")
    assert rc == 1
    assert "DAG run clickstream_daily 2026-01-15 failed" in out
    diag = tmp_path / "e2e" / "diagnostics"
    for name in (
        "events.txt",
        "sparkapplications.yaml",
        "resources.txt",
        "caec-jobs-pods-describe.txt",
        "caec-airflow-airflow-scheduler-0.log",
    ):
        assert (diag / name).is_file(), name
    assert (diag / "rendered" / "shared-storage.yaml").is_file()
    assert "exec deploy/airflow-scheduler -c scheduler -- tar -C /opt/airflow/logs" in calls
    assert "kind delete" not in calls
    assert "cluster kept for debugging" in out


def test_scheduler_trigger_polls_until_success(tmp_path: Path) -> None:
    """E2E_TRIGGER=scheduler: unpause, trigger with a run id, poll the run state until it succeeds."""
    rc, out, calls = run_flow(tmp_path, "queued running success", 3, E2E_TRIGGER="scheduler")
    assert rc == 0, out
    assert "airflow dags unpause clickstream_daily" in calls
    assert (
        "dags trigger clickstream_daily --logical-date 2026-01-15T00:00:00+00:00 --run-id e2e__2026-01-15"
        in calls
    )
    assert calls.count("dags state") == 3
    assert "DAG run state: running" in out and "DAG run state: success" in out


def test_scheduler_trigger_waits_for_the_dag_to_be_parsed(tmp_path: Path) -> None:
    """`dags unpause` only once the dag-processor has put the DAG in the database (issue 15)."""
    rc, out, calls = run_flow(tmp_path, "success", 3, E2E_TRIGGER="scheduler", STUB_DAG_LIST="0 0 1")
    assert rc == 0, out
    lines = calls.splitlines()
    listed = [i for i, line in enumerate(lines) if "dags list -o plain" in line]
    unpause = next(i for i, line in enumerate(lines) if "dags unpause" in line)
    assert len(listed) == 3 and listed[-1] < unpause
    assert "clickstream_daily is parsed" in out


def test_scheduler_trigger_fails_with_import_errors_when_never_parsed(tmp_path: Path) -> None:
    rc, out, calls = run_flow(
        tmp_path, "success", 3, E2E_TRIGGER="scheduler", STUB_DAG_LIST="0", E2E_PARSE_TIMEOUT="2"
    )
    assert rc == 1
    assert "was not parsed within 2s" in out and "ImportError: boom" in out
    assert "dags unpause" not in calls
    assert "collecting diagnostics" in out


def test_collect_only_writes_diagnostics_of_an_existing_cluster(tmp_path: Path) -> None:
    """What CI runs when the job failed or was cancelled: diagnostics, nothing else."""
    rc, out, calls = run_flow(tmp_path, "success", 3, "--collect", STUB_KIND_CLUSTERS="caec-e2e")
    assert rc == 0, out
    assert (tmp_path / "e2e" / "diagnostics" / "events.txt").exists()
    assert "make" not in [line.split()[0] for line in calls.splitlines()]
    assert "kind delete" not in calls and "kind create" not in calls


def test_signal_collects_diagnostics(tmp_path: Path) -> None:
    """SIGTERM (a cancelled job) mid-run still leaves diagnostics behind."""
    rc, out, _ = run_flow(tmp_path, "running", 3, E2E_TRIGGER="scheduler", STUB_SIGNAL_ON_STATE="TERM")
    assert rc == 143, out
    assert (tmp_path / "e2e" / "diagnostics" / "events.txt").exists()


def test_scheduler_trigger_times_out(tmp_path: Path) -> None:
    rc, out, _ = run_flow(tmp_path, "running", 3, E2E_TRIGGER="scheduler", E2E_TIMEOUT="2")
    assert rc == 1 and "did not finish within 2s (state: running)" in out
