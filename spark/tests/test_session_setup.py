"""Starting Spark: a clear one-line error without Java, a driver heap sized from the machine, and the
JVM options of a local driver's startup (class archive, short-run compiler)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from caec_spark.io import local_input_bytes
from caec_spark.session import (
    C2_LESS_INLINING,
    CDS_ARCHIVE_ENV,
    DRIVER_MEMORY_ENV,
    SHORT_RUN_BYTES,
    _local_driver_memory,
    cds_archive,
    driver_java_options,
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


def test_short_local_runs_get_the_client_compiler_and_every_local_run_the_archive(tmp_path: Path) -> None:
    archive = tmp_path / "a.jsa"
    small = driver_java_options(True, SHORT_RUN_BYTES - 1, archive)
    assert f"-XX:SharedArchiveFile={archive}" in small and "-Xshare:auto" in small
    assert "-XX:TieredStopAtLevel=1" in small and not set(C2_LESS_INLINING) & set(small)
    big = driver_java_options(True, SHORT_RUN_BYTES, archive)
    assert "-XX:TieredStopAtLevel=1" not in big and f"-XX:SharedArchiveFile={archive}" in big
    assert set(C2_LESS_INLINING) <= set(big)  # C2, compiling Spark's huge generated methods faster
    # size unknown (gs://), no archive: C2 with the smaller inlining budgets only
    assert driver_java_options(True, None, None) == list(C2_LESS_INLINING)
    assert driver_java_options(False, 1, archive) == []  # a cluster's pods set their own options


def test_the_archive_is_found_only_where_it_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CDS_ARCHIVE_ENV, str(tmp_path / "missing.jsa"))
    assert cds_archive() is None
    (tmp_path / "here.jsa").write_bytes(b"x")
    monkeypatch.setenv(CDS_ARCHIVE_ENV, str(tmp_path / "here.jsa"))
    assert cds_archive() == tmp_path / "here.jsa"


def test_local_input_bytes_counts_what_the_job_reads(tmp_path: Path) -> None:
    day = tmp_path / "raw" / "dt=2026-11-01"
    day.mkdir(parents=True)
    (day / "a.jsonl.gz").write_bytes(b"x" * 10)
    (day / "b.jsonl").write_bytes(b"x" * 5)
    (tmp_path / "raw" / "_truth").mkdir()
    (tmp_path / "raw" / "_truth" / "t.json").write_bytes(b"x" * 1000)  # hidden: the job skips it
    (day / ".part.crc").write_bytes(b"x" * 1000)
    raw = tmp_path / "raw"
    assert local_input_bytes(str(raw)) == 15
    assert local_input_bytes(f"file://{raw}") == 15
    assert local_input_bytes(f"{raw}/dt=*/*.gz") == 10
    assert local_input_bytes(str(day / "b.jsonl")) == 5
    assert local_input_bytes("gs://bucket/raw") is None
    assert local_input_bytes(str(tmp_path / "nothing")) == 0


def test_the_test_driver_started_with_the_venv_archive(spark: SparkSession) -> None:
    """The JVM was given the archive ``make`` writes into the venv (spark/spark.mk), if there is one."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    args = [str(a) for a in jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()]
    archive = cds_archive()
    if archive is None:
        if os.environ.get("CI"):
            pytest.fail("no class archive in the spark venv: make's venv setup should have written one")
        pytest.skip("no class archive in this venv (make writes one after syncing the spark venv)")
    assert f"-XX:SharedArchiveFile={archive}" in args
    assert "-XX:TieredStopAtLevel=1" in args  # the tests' inputs are tiny (conftest)
