"""The SparkSession: local mode by default, whatever master the operator sets otherwise."""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession


def get_spark(
    app_name: str = "caec-sessionize",
    master: str | None = None,
    shuffle_partitions: int | None = None,
    extra_conf: dict[str, str] | None = None,
) -> SparkSession:
    """Return a session with the settings the job's correctness depends on.

    UTC session time zone (event dates are UTC dates) and ANSI off (bad values become nulls that
    validation turns into quarantine reasons, never task failures). ``local[*]`` is used only when no master is configured (spark-submit / the Spark Operator set
    ``spark.master``, which wins).
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
    for key, value in (extra_conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("CAEC_SPARK_LOG_LEVEL", "WARN"))
    return spark


def _master_preconfigured() -> bool:
    """True when spark-submit (or PYSPARK_SUBMIT_ARGS / spark-defaults) already chose a master."""
    return "--master" in os.environ.get("PYSPARK_SUBMIT_ARGS", "") or bool(os.environ.get("SPARK_CONF_DIR"))
