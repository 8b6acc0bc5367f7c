"""The SparkSession: local mode by default, whatever master the operator sets otherwise."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from pyspark.sql import SparkSession

DRIVER_MEMORY_ENV = "CAEC_DRIVER_MEMORY"
# Share of the machine's memory (physical RAM or the cgroup limit, the smaller) given to a local driver's
# heap. The rest is for the JVM's off-heap memory, the Python workers (splitter, user agents) and the OS:
# at 10M events the heap peaks near 10 GB while the process tree peaked at ~11.4 GB PSS with a 12g heap.
DRIVER_MEMORY_SHARE = 0.5
MIN_DRIVER_MEMORY_MB = 1024
# Startup of a local driver (measured with make bench-spark's inputs on 2 cores, spark/README.md):
# - A class data sharing archive of the classes a run loads (``python -m caec_spark_dev cds``, run by the
#   spark venv's setup; JDK 17's dynamic AppCDS): the JVM maps them instead of loading and verifying ~20k classes (100k events: 28.7 s -> 25.7 s).
#   Where none is (the image, a stale venv) nothing changes; a stale archive is ignored by the JVM.
# - Below SHORT_RUN_BYTES of input, the client compiler only (C1): a short run never earns back what the
#   optimising compiler's threads take from two cores (100k events, 4 MB: 30 s -> 24 s), while from about
#   1M events (37 MB) on optimised code wins (1M: 51.7 s with C2, 58.9 s with C1 only).
# - Otherwise C2 with less inlining (C2_LESS_INLINING): Spark's generated whole-stage methods are huge, and
#   C2 spent ~17 s of CPU compiling them (and retrying failed compiles) in a 1M-event run on two cores.
#   Smaller inlining budgets compile them faster with no loss in steady state: 1M events 45.4-50.0 s ->
#   40.3-44.0 s (CPU 82-89 s -> 71-78 s), 10M 204.3 s -> 204.5 s. Each flag alone did not help (one run each).
CDS_ARCHIVE_ENV = "CAEC_SPARK_CDS_ARCHIVE"
DEFAULT_CDS_ARCHIVE = Path(sys.prefix) / "caec-spark.jsa"
"""Where the spark venv's setup writes the archive (inside the venv: it matches that venv's jars)."""
SHORT_RUN_BYTES = 16 * 1024 * 1024
C2_LESS_INLINING = ("-XX:FreqInlineSize=100", "-XX:InlineSmallCode=1000")
"""HotSpot's defaults are 325 and 2500 (bytecode bytes, native code bytes)."""


class JavaNotFoundError(RuntimeError):
    """No usable Java to start Spark's JVM (the message says what to install or set)."""


def get_spark(
    app_name: str = "caec-sessionize",
    master: str | None = None,
    shuffle_partitions: int | None = None,
    extra_conf: dict[str, str] | None = None,
    input_bytes: int | None = None,
) -> SparkSession:
    """Return a session with the settings the job's correctness depends on.

    UTC session time zone (event dates are UTC dates) and ANSI off (bad values become nulls that
    validation turns into quarantine reasons, never task failures). ``local[*]`` is used only when no master is configured (spark-submit / the Spark Operator set
    ``spark.master``, which wins). ``input_bytes`` (the raw input's size, when known): a local run
    below :data:`SHORT_RUN_BYTES` starts a JVM tuned for a short run (:func:`driver_java_options`).
    """
    # Python workers must run this interpreter (our venv / the image's), not whatever python3 is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    configured = master or os.environ.get("SPARK_MASTER") or os.environ.get("MASTER")
    local_default = not configured and not _master_preconfigured()
    if configured:
        builder = builder.master(configured)
    elif local_default:
        builder = builder.master("local[*]")
    parts = shuffle_partitions or int(os.environ.get("CAEC_SHUFFLE_PARTITIONS", "0")) or None
    runs_locally = local_default or (configured or "").startswith("local")
    if parts is None and runs_locally:
        # Spark's default of 200 shuffle partitions costs minutes on a laptop: every window and join of
        # the job writes and schedules 200 tiny tasks (a 200k-event run: 6.5 min -> 2.5 min with 4).
        # Two per core keeps both cores busy; clusters set spark.sql.shuffle.partitions themselves.
        parts = 2 * (os.cpu_count() or 1)
    builder = (
        builder.config("spark.sql.session.timeZone", "UTC")
        # Bad data must become quarantine rows, never a task failure: non-ANSI semantics plus try_ functions.
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        # Adaptive execution re-plans each query at run time; locally it has nothing to adapt (fixed, small
        # shuffle partitions) and it makes a local checkpoint forget its partitioning and sort order, so
        # every step after the job's materialised results would shuffle and sort again. Clusters keep it.
        .config("spark.sql.adaptive.enabled", "false" if runs_locally else "true")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        # A task writes its date partitions through writers open at once instead of sorting all its rows
        # by date first (a day-per-partition output of a month is ~31 writers per task; more falls back
        # to Spark's sort-based write, so this is a speed setting, never a correctness one).
        .config("spark.sql.maxConcurrentOutputFileWriters", "64")
    )
    if parts:
        builder = builder.config("spark.sql.shuffle.partitions", str(parts))
    java_options = driver_java_options(runs_locally, input_bytes, cds_archive())
    if java_options and "spark.driver.extraJavaOptions" not in (extra_conf or {}):
        builder = builder.config("spark.driver.extraJavaOptions", " ".join(java_options))
    memory = _local_driver_memory(runs_locally, extra_conf or {})
    if memory:
        builder = builder.config("spark.driver.memory", memory)
    for key, value in (extra_conf or {}).items():
        builder = builder.config(key, value)
    if runs_locally and "PYSPARK_GATEWAY_PORT" not in os.environ:
        require_java()
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("CAEC_SPARK_LOG_LEVEL", "WARN"))
    return spark


def cds_archive() -> Path | None:
    """The class data sharing archive to start the driver with: ``CAEC_SPARK_CDS_ARCHIVE``, else
    :data:`DEFAULT_CDS_ARCHIVE`; None when there is none."""
    configured = os.environ.get(CDS_ARCHIVE_ENV, "").strip()
    path = Path(configured) if configured else DEFAULT_CDS_ARCHIVE
    return path if path.is_file() else None


def driver_java_options(runs_locally: bool, input_bytes: int | None, archive: Path | None) -> list[str]:
    """JVM options for a local driver's startup (none on a cluster: the operator's pod template sets its own).

    The archive is used if the JVM accepts it (``-Xshare:auto``: a JDK or classpath change makes the JVM
    skip it, silently with ``-Xlog:cds=off``); C1 only when the input is known to be small, else C2 with
    :data:`C2_LESS_INLINING` (also when the size is unknown: no loss measured at 10M events).
    """
    if not runs_locally:
        return []
    options = []
    if archive is not None:
        options += [
            f"-XX:SharedArchiveFile={archive}",
            "-Xshare:auto",
            "-Xlog:cds=off",
            "-Xlog:cds+dynamic=off",
        ]
    if input_bytes is not None and input_bytes < SHORT_RUN_BYTES:
        options.append("-XX:TieredStopAtLevel=1")
    else:
        options += C2_LESS_INLINING
    return options


def _master_preconfigured() -> bool:
    """True when spark-submit (or PYSPARK_SUBMIT_ARGS / spark-defaults) already chose a master."""
    return "--master" in os.environ.get("PYSPARK_SUBMIT_ARGS", "") or bool(os.environ.get("SPARK_CONF_DIR"))


def _local_driver_memory(runs_locally: bool, extra_conf: dict[str, str]) -> str | None:
    """The driver heap for a local run, unless something else already chose one.

    In local mode the driver is the whole engine, and Spark's default heap (1g) fails at ~10M events
    (OutOfMemoryError). ``CAEC_DRIVER_MEMORY`` (e.g. ``8g``) overrides the sizing; ``--driver-memory``
    in ``PYSPARK_SUBMIT_ARGS`` or ``spark.driver.memory`` in ``extra_conf`` win over both.
    """
    if not runs_locally or "spark.driver.memory" in extra_conf:
        return None
    if "--driver-memory" in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        return None
    override = os.environ.get(DRIVER_MEMORY_ENV, "").strip()
    if override:
        return override
    total = machine_memory_bytes()
    return driver_memory_for(total) if total else None


def driver_memory_for(total_bytes: int, share: float = DRIVER_MEMORY_SHARE) -> str:
    """``share`` of ``total_bytes`` in whole megabytes (Spark's ``NNNNm``), at least 1 GB."""
    return f"{max(MIN_DRIVER_MEMORY_MB, int(total_bytes * share) // (1024 * 1024))}m"


def machine_memory_bytes(cgroup_root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """Physical memory, or the container's cgroup limit when that is lower (v2 ``memory.max``, v1)."""
    physical: int | None = None
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        physical = None
    limits = [physical] if physical else []
    for name in ("memory.max", "memory/memory.limit_in_bytes"):
        try:
            text = (cgroup_root / name).read_text(encoding="ascii").strip()
        except OSError:
            continue
        if text.isdigit():
            limits.append(int(text))
    return min(limits) if limits else None


def require_java() -> None:
    """Fail in one line when no Java can start Spark's JVM (instead of py4j's long traceback)."""
    java_home = os.environ.get("JAVA_HOME", "")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        raise JavaNotFoundError(
            f"Java 17 not found (JAVA_HOME={java_home or '<unset>'}, no java on PATH): "
            "install OpenJDK 17 or set JAVA_HOME to its directory"
        )
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JavaNotFoundError(
            f"Java at {java} does not run ({exc}): install OpenJDK 17 or set JAVA_HOME"
        ) from None
    version = java_major_version(out.stderr + out.stdout)
    if version is None or version < 17:
        raise JavaNotFoundError(
            f"Java 17 not found: {java} is version {version or 'unknown'} (JAVA_HOME={java_home or '<unset>'}): "
            "install OpenJDK 17 or set JAVA_HOME"
        )


def java_major_version(version_output: str) -> int | None:
    """The major version from ``java -version`` output (``"17.0.9"`` -> 17, ``"1.8.0_392"`` -> 8)."""
    m = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major
