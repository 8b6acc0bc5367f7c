"""Starting Spark: a clear one-line error without Java, and a driver heap sized from the machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from caec_spark.session import (
    DRIVER_MEMORY_ENV,
    _local_driver_memory,
    driver_memory_for,
    java_major_version,
    machine_memory_bytes,
)

GIB = 1024**3


def test_missing_java_is_one_clear_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    empty = tmp_path / "no-java"
    empty.mkdir()
    (tmp_path / "raw" / "dt=2026-11-01").mkdir(parents=True)
    (tmp_path / "raw" / "dt=2026-11-01" / "a.jsonl").write_text("{}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK", "SPARK", "JAVA"))} | {
        "JAVA_HOME": str(empty),
        "PATH": str(Path(sys.executable).parent),
    }
    args = [
        "sessionize",
        "--input",
        str(tmp_path / "raw"),
        "--format",
        "jsonl",
        "--output",
        str(tmp_path / "o"),
        "--start",
        "2026-11-01",
        "--end",
        "2026-11-02",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "caec_spark", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if "WARNING" not in ln]
    assert lines == [
        f"caec-spark sessionize: error: Java 17 not found (JAVA_HOME={empty}, no java on PATH): "
        "install OpenJDK 17 or set JAVA_HOME to its directory"
    ]


@pytest.mark.parametrize(
    ("text", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "21" 2023-09-19', 21),
        ("no version here", None),
    ],
)
def test_java_major_version(text: str, major: int | None) -> None:
    assert java_major_version(text) == major


def test_driver_memory_is_half_the_machine_and_at_least_a_gigabyte() -> None:
    assert driver_memory_for(24 * GIB) == "12288m"
    assert driver_memory_for(1 * GIB) == "1024m"


def test_a_cgroup_limit_below_the_machine_wins(tmp_path: Path) -> None:
    (tmp_path / "memory.max").write_text(f"{4 * GIB}\n")
    assert machine_memory_bytes(tmp_path) == 4 * GIB
    (tmp_path / "memory.max").write_text("max\n")  # no limit: physical memory
    physical = machine_memory_bytes(tmp_path / "no-cgroup")
    assert physical and machine_memory_bytes(tmp_path) == physical


def test_what_chooses_the_driver_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DRIVER_MEMORY_ENV, raising=False)
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "pyspark-shell")
    sized = _local_driver_memory(True, {})
    assert sized is not None and sized.endswith("m") and int(sized[:-1]) >= 1024
    monkeypatch.setenv(DRIVER_MEMORY_ENV, "3g")
    assert _local_driver_memory(True, {}) == "3g"
    assert _local_driver_memory(True, {"spark.driver.memory": "2g"}) is None  # the caller's setting stays
    assert _local_driver_memory(False, {}) is None  # a cluster sizes its own driver
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "--driver-memory 1g pyspark-shell")
    assert _local_driver_memory(True, {}) is None
