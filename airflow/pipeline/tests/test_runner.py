"""The stage executor on real child processes (no mocks: a Python child stands in for Spark/dbt)."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from caec_pipeline.config import PipelineConfig
from caec_pipeline.runner import StageFailed, execute
from caec_pipeline.steps import Stage

# A child that reports progress as the Spark job does: one JSON object per line on stderr.
SPARK_LIKE = """
import json, sys
for i in range(1, 5):
    line = {"caec": "progress", "component": "spark", "time": f"2026-12-04T07:00:0{i}Z",
            "step": i, "steps": 4, "stage": "work", "message": f"working {i}"}
    print(json.dumps(line), file=sys.stderr, flush=True)
print(json.dumps({"caec": "progress", "component": "spark", "time": "2026-12-04T07:00:05Z",
                  "stage": "work", "message": "done"}), file=sys.stderr, flush=True)
print("x", flush=True)
"""


def test_a_stage_streams_its_output_to_a_log(tmp_path: Path) -> None:
    out = io.StringIO()
    seconds = execute(Stage("demo", "demo", [sys.executable, "-c", SPARK_LIKE]), tmp_path, out)
    assert seconds > 0
    log = (tmp_path / "demo.log").read_text()
    output = log[log.index("spark 2026-12-04T07:00:01Z") :]  # after the command line (this script)
    # the log reads as text: the JSON progress lines are written as what they say
    assert output.splitlines() == [
        *(f"spark 2026-12-04T07:00:0{i}Z [{i}/4 work] working {i}" for i in range(1, 5)),
        "spark 2026-12-04T07:00:05Z [work] done",
        "x",
    ]
    assert "100%" in out.getvalue()


def test_the_dag_runs_a_stage_into_its_task_log(tmp_path: Path) -> None:
    """The DAG's local mode: no log file, every line to the task log, progress as periodic lines."""
    lines: list[str] = []
    progress = io.StringIO()
    execute(Stage("demo", "demo", [sys.executable, "-c", SPARK_LIKE]), None, progress, echo=lines.append)
    assert lines[0] == "spark 2026-12-04T07:00:01Z [1/4 work] working 1" and lines[-1] == "x"
    assert "100%" in progress.getvalue() and list(tmp_path.iterdir()) == []


def test_dbt_json_log_lines_are_read_as_text_and_progress(tmp_path: Path) -> None:
    start = {"info": {"name": "LogStartLine", "level": "info", "msg": "1 of 2 START sql view model main.a"},
             "data": {"index": 1, "total": 2}}  # fmt: skip
    done = {"info": {"name": "LogTestResult", "level": "info", "msg": "2 of 2 PASS not_null_a_id"},
            "data": {"index": 2, "num_models": 2, "status": "pass"}}  # fmt: skip
    script = f"import json\nfor e in {[start, done]!r}:\n    print(json.dumps(e), flush=True)\n"
    out = io.StringIO()
    execute(Stage("dbt", "dbt build", [sys.executable, "-c", script]), tmp_path, out)
    log = (tmp_path / "dbt.log").read_text().splitlines()
    assert log[-2:] == ["1 of 2 START sql view model main.a", "2 of 2 PASS not_null_a_id"]
    assert "100%" in out.getvalue()


def test_a_failing_stage_reports_its_tail_and_log(tmp_path: Path) -> None:
    script = "import sys\nfor i in range(100):\n    print(f'line {i}')\nprint('error: bad thing', file=sys.stderr)\nsys.exit(3)\n"
    with pytest.raises(StageFailed) as err:
        execute(
            Stage("dbt", "dbt build", [sys.executable, "-c", script], {"X": "1"}), tmp_path, io.StringIO()
        )
    text = str(err.value)
    assert "stage 'dbt' failed: exit code 3" in text
    assert "| error: bad thing" in text and "| line 99" in text and "| line 10\n" not in text
    assert f"full log: {tmp_path / 'dbt.log'}" in text
    assert len(err.value.tail) == 30 and err.value.tail[0] == "error: bad thing"


def test_a_missing_venv_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(
        StageFailed, match=r"virtual environment .*/\.venv/spark is missing; `make run` creates it"
    ):
        execute(
            Stage("sessionize", "s", [str(tmp_path / ".venv/spark/bin/python"), "-m", "x"]),
            tmp_path,
            io.StringIO(),
        )


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)]
)
def test_a_stop_signal_stops_the_stage_and_its_children(tmp_path: Path, signum: int, code: int) -> None:
    """A killed `make run` (CI timeout, closed terminal) must not leave Spark's JVM behind (issue 17, 5).

    A real tree: the stage (own session, like every stage) starts a grandchild that ignores SIGTERM,
    so only the SIGKILL after the grace period stops it. The runner exits 128 + the signal number.
    """
    pid_file = tmp_path / "grandchild.pid"
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"
    child = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', {stubborn!r}])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "print('progress 1/2 started', flush=True)\n"
        "time.sleep(120)\n"
    )
    driver = (
        "import io, signal, sys\n"
        "from pathlib import Path\n"
        "from caec_pipeline import cli, runner\n"
        "for signum in (signal.SIGTERM, signal.SIGHUP):\n"
        "    signal.signal(signum, cli._terminate)\n"
        "runner.stop_process_group.__defaults__ = (1.0,)  # a short grace period for the test\n"
        "try:\n"
        f"    runner.execute(runner.Stage('s', 's', [sys.executable, '-c', {child!r}]), Path({str(tmp_path)!r}), io.StringIO())\n"
        "except KeyboardInterrupt as exc:\n"
        "    sys.exit(cli.interrupted_exit_code(exc))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", driver])
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the stage did not start"
        time.sleep(0.2)
    grandchild = int(pid_file.read_text())
    proc.send_signal(signum)
    assert proc.wait(timeout=60) == code
    assert not running(grandchild)


def test_a_runner_killed_outright_takes_its_stage_with_it(tmp_path: Path) -> None:
    """SIGKILL leaves the runner no chance to clean up; the stage (own session) used to run on, holding
    DuckDB's lock against the next run (issue 17, item 5). A real tree: stage -> stubborn grandchild."""
    pid_file = tmp_path / "grandchild.pid"
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"
    child = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', {stubborn!r}])\n"
        f"open({str(pid_file)!r}, 'w').write(f'{{p.pid}} ' + str(__import__('os').getpid()))\n"
        "time.sleep(120)\n"
    )
    driver = (
        "import io, sys\n"
        "from pathlib import Path\n"
        "from caec_pipeline import lifeline, runner\n"
        f"runner.execute(runner.Stage('s', 's', [sys.executable, '-c', {child!r}]), Path({str(tmp_path)!r}), io.StringIO())\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", driver])
    deadline = time.monotonic() + 60
    while not pid_file.exists() or " " not in pid_file.read_text():
        assert time.monotonic() < deadline, "the stage did not start"
        time.sleep(0.2)
    tree = [int(pid) for pid in pid_file.read_text().split()]
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 30
    while any(running(pid) for pid in tree):
        assert time.monotonic() < deadline, (
            f"the stage outlived its runner: {[p for p in tree if running(p)]}"
        )
        time.sleep(0.2)


def running(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for the container's init to reap it has stopped)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        return not stat.read_text().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return False


def test_the_summary_gives_every_filter_reason_its_own_label(cfg: PipelineConfig) -> None:
    """Static assets were reported as "(outside the window / look-back context)" (issue 17, item 10)."""
    from datetime import date

    from caec_pipeline.dq import DQThresholds, evaluate_manifests
    from caec_pipeline.runner import RunSummary, format_summary
    from caec_pipeline.window import DayWindow

    from .test_dq import manifest

    m = manifest(
        read=1000, valid=700, quarantined=20, filtered=280,
        filtered_by_reason={"lookback_context": 30, "outside_window": 50, "static_asset": 200},
    )  # fmt: skip
    dq = evaluate_manifests([m], DQThresholds())
    summary = RunSummary(
        DayWindow(date(2026, 11, 2), date(2026, 11, 3)), dq.totals, dq.quarantined_by_reason, dq, cfg.duckdb_path,
        cfg.dashboard_path, {},
    )  # fmt: skip
    line = next(x for x in format_summary(summary, cfg).splitlines() if x.strip().startswith("filtered"))
    assert line.split(None, 2)[2] == (
        "by reason: static asset requests 200, outside the window 50, look-back context 30"
    )


def test_the_gate_after_sessionize_judges_this_runs_window_only(tmp_path: Path) -> None:
    """The runner is told the window, it does not read it back: of the published manifests it takes
    the one of exactly that window (a manifest's window also carries its look-back hours)."""
    import json
    from datetime import date

    from caec_pipeline.runner import run_manifests
    from caec_pipeline.window import DayWindow

    from .test_dq import manifest, write_pointer

    (tmp_path / "manifests").mkdir()
    runs = [manifest("this", "2026-11-02", "2026-11-03"), manifest("wider", "2026-11-01", "2026-11-04")]
    for m in runs:
        (tmp_path / "manifests" / f"run_id={m['run_id']}.json").write_text(json.dumps(m))
    write_pointer(tmp_path, "this", "wider")
    cfg = PipelineConfig.from_env({"CAEC_STAGING_URI": str(tmp_path)})
    window = DayWindow(date(2026, 11, 2), date(2026, 11, 3))
    assert [m["run_id"] for m in run_manifests(cfg, window)] == ["this"]
