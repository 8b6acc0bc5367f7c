"""A run killed while publishing leaves readers on the old state; a finished one shows the new; garbage goes.

The kill is real: the job runs in a child process (the CLI, as Airflow and ``make run`` start it) that
SIGKILLs itself at a chosen point of the publish stage, so nothing of Python's or Spark's clean-up runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import START, gen, read, run_job
from pyspark.sql import SparkSession

from caec_spark import publish as pub
from caec_spark.pointer import POINTER_NAME, parse
from caec_spark.publish import STALE_AFTER, LayoutError

END = START + dt.timedelta(days=1)
NAMES = ("events", "sessions", "quarantine")

# The child: the real CLI with one storage call replaced by a SIGKILL of the process at its n-th use
# during the publish stage (after the counts are reconciled, where the defect lost published data).
KILLER = """
import os, signal, sys
import caec_spark.io as io
import caec_spark.job as job
from caec_spark.__main__ import main

target, nth = sys.argv[1], int(sys.argv[2])
real = getattr(io, target)
calls = {"n": 0, "publishing": False}
real_publish = job.publish

def publish(*args, **kwargs):
    calls["publishing"] = True
    return real_publish(*args, **kwargs)

def killing(*args, **kwargs):
    if calls["publishing"]:
        calls["n"] += 1
        if calls["n"] == nth:
            os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)

job.publish = publish
setattr(io, target, killing)
sys.exit(main(sys.argv[3:]))
"""


def _kill_run(raw: Path, out: Path, run_id: str, target: str, nth: int) -> None:
    cmd = [sys.executable, "-c", KILLER, target, str(nth), "sessionize", "--input", str(raw)]
    cmd += ["--format", "jsonl", "--output", str(out), "--start", START.isoformat(), "--end", END.isoformat()]
    cmd += ["--run-id", run_id, "--master", "local[1]"]
    env = {**os.environ, "PYSPARK_SUBMIT_ARGS": "--driver-memory 1g pyspark-shell"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    steps = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith('{"caec": "progress"')]
    assert [(s["step"], s["stage"]) for s in steps if "step" in s][-1] == (5, "publish"), proc.stderr[-3000:]


def _counts(spark: SparkSession, out: Path) -> dict[str, int]:
    return {n: read(spark, out, n).count() for n in NAMES}


def _age(root: Path, by: dt.timedelta) -> None:
    """Make every file and folder under ``root`` look ``by`` older (as a run that died long ago)."""
    then = time.time() - by.total_seconds()
    for p in [root, *root.rglob("*")]:
        os.utime(p, (then, then))


@pytest.fixture(scope="module")
def raws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("atomic")
    return gen(base / "old", "jsonl", events=600, seed=5, days=2), gen(
        base / "new", "jsonl", events=900, seed=6, days=2
    )


def test_a_killed_publish_keeps_the_old_window_and_garbage_is_collected(
    spark: SparkSession, raws: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_raw, new_raw = raws
    out = tmp_path / "out"
    old = run_job(spark, old_raw, out, "jsonl", start=START, end=END, run_id="old")
    old_counts = _counts(spark, out)
    assert old_counts["events"] == old.counts["valid"] and old_counts["sessions"] == old.counts["sessions"]
    pointer_before = (out / POINTER_NAME).read_text()

    # Killed between the moves of two datasets (where the old code had deleted published days), then
    # killed with everything moved and the manifest written, right before the pointer write.
    _kill_run(new_raw, out, "killed-mid-move", "list_partitions", 2)
    _kill_run(new_raw, out, "killed-before-pointer", "write_text", 2)
    assert (out / "manifests" / "run_id=killed-before-pointer.json").exists()
    assert (out / POINTER_NAME).read_text() == pointer_before
    # killed holding the pointer lock: the next run removes it once it is LOCK_STALE old (5 min; 1 s here)
    assert json.loads((out / pub.LOCK_NAME).read_text())["run_id"] == "killed-before-pointer"
    monkeypatch.setattr(pub, "LOCK_STALE", dt.timedelta(seconds=1))
    assert _counts(spark, out) == old_counts
    assert parse(pointer_before).keys("manifests") == ["old"]

    new = run_job(spark, new_raw, out, "jsonl", start=START, end=END, run_id="new")
    new_counts = _counts(spark, out)
    assert new_counts == {
        "events": new.counts["valid"],
        "sessions": new.counts["sessions"],
        "quarantine": new.counts["quarantined"],
    }
    assert new_counts != old_counts
    assert not (out / pub.LOCK_NAME).exists()
    pointer = parse((out / POINTER_NAME).read_text())
    assert pointer.generation == 2 and pointer.keys("manifests") == ["new", "old"]
    day = START.isoformat()
    old_version = out / "events" / f"event_date={day}" / "v=old"
    # one generation of grace: a reader that resolved generation 1 may still be reading "old"
    assert old_version.is_dir() and {e.version for e in pointer.retired} == {"old"}
    killed_tmp = out / "_tmp" / "killed-mid-move"
    killed_version = out / "events" / f"event_date={day}" / "v=killed-before-pointer"
    assert killed_tmp.is_dir() and killed_version.is_dir()  # younger than STALE_AFTER: maybe still running

    _age(killed_tmp, STALE_AFTER * 2)
    _age(killed_version, STALE_AFTER * 2)
    run_job(spark, new_raw, out, "jsonl", start=START, end=END, run_id="newer")
    assert _counts(spark, out) == new_counts
    assert not old_version.exists(), "a version retired a generation ago is collected"
    assert (out / "events" / f"event_date={day}" / "v=new").is_dir(), "the one retired now stays a generation"
    assert not killed_tmp.exists() and not killed_version.exists(), "a dead run's leftovers are collected"
    assert parse((out / POINTER_NAME).read_text()).generation == 3


def test_a_root_in_the_old_layout_is_refused_with_what_to_do(
    spark: SparkSession, raws: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "legacy"
    legacy = out / "events" / f"event_date={START.isoformat()}"
    legacy.mkdir(parents=True)
    (legacy / "part-00000.parquet").write_bytes(b"PAR1")
    with pytest.raises(LayoutError, match=r"layout before versioned publishing.*new, empty staging root"):
        run_job(spark, raws[0], out, "jsonl", start=START, end=END, run_id="x")
