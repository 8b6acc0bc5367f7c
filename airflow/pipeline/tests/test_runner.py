"""The stage executor on real child processes (no mocks: a Python child stands in for Spark/dbt)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from caec_pipeline.runner import Stage, StageFailed, execute


def test_a_stage_streams_its_output_to_a_log(tmp_path: Path) -> None:
    script = "import sys\nfor i in range(1, 5):\n    print(f'caec-spark 12:00:0{i} [{i}/4 work] working', flush=True)\nprint('x', file=sys.stderr)\n"
    out = io.StringIO()
    seconds = execute(Stage("demo", "demo", [sys.executable, "-c", script]), tmp_path, out)
    assert seconds > 0
    log = (tmp_path / "demo.log").read_text()
    assert "[4/4 work] working" in log and log.rstrip().endswith("x")
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


def test_sigterm_stops_the_stage_and_its_children(tmp_path: Path) -> None:
    """A killed `make run` (CI timeout) must not leave Spark's JVM behind: the stage's group is stopped."""
    import signal
    import subprocess
    import time

    pid_file = tmp_path / "grandchild.pid"
    child = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "print('progress 1/2 started', flush=True)\n"
        "time.sleep(120)\n"
    )
    driver = (
        "import io, signal, sys\n"
        "from pathlib import Path\n"
        "from caec_pipeline.cli import _terminate\n"
        "from caec_pipeline.runner import Stage, execute\n"
        "signal.signal(signal.SIGTERM, _terminate)\n"
        f"execute(Stage('s', 's', [sys.executable, '-c', {child!r}]), Path({str(tmp_path)!r}), io.StringIO())\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", driver])
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the stage did not start"
        time.sleep(0.2)
    grandchild = int(pid_file.read_text())
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) != 0
    time.sleep(0.5)
    stat = Path(f"/proc/{grandchild}/stat")
    # gone, or a zombie waiting for the container's init to reap it: either way no longer running
    assert not stat.exists() or stat.read_text().split(") ", 1)[1].startswith("Z")
